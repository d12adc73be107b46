"""The real-library refactor corpus's frozen waves (issue 49, item 5): wave 35
(numericalunits, snowflake-id, installer; manifest-wave35.json) is the held-out part; waves 1
(webcolors, idna, simpleeval; manifest.json), 2 (netaddr, json5, texttable;
manifest-wave2.json), 3 (sqids, shortuuid, uritools; manifest-wave3.json), 4 (aniso8601,
jsonpointer, pyasn1; manifest-wave4.json), 5 (pytimeparse, hyperframe, hpack;
manifest-wave5.json), 6 (voluptuous, uritemplate, bracex; manifest-wave6.json), 7
(python-mimeparse, bitmath, language-tags; manifest-wave7.json), 8 (roman, tomlkit,
fastjsonschema; manifest-wave8.json), 9 (iso3166, uuid6, asteval; manifest-wave9.json), 10
(hijridate, python-iso639, termcolor; manifest-wave10.json), 11 (emoji, utm,
diff-match-patch; manifest-wave11.json), 12 (marko, jaconv, boolean.py; manifest-wave12.json),
13 (multipart, geojson, mnemonic; manifest-wave13.json), 14 (configobj, camel-converter,
dissect.cstruct; manifest-wave14.json), 15 (geographiclib, maidenhead, webencodings;
manifest-wave15.json), 16 (latexcodec, phonenumbers, orderly-set; manifest-wave16.json), 17
(webvtt-py, arpeggio, hsluv; manifest-wave17.json), 18 (unidiff, leb128, si-prefix;
manifest-wave18.json), 19 (pyiso8583, unicode-rbnf, iuliia; manifest-wave19.json), 20
(nepali-datetime, dict2xml, iso639-lang; manifest-wave20.json), 21 (parsy, xpinyin,
rfc8785; manifest-wave21.json), 22 (evalidate, spfpm, flatdict; manifest-wave22.json), 23
(mathparse, text2digits, pluralizer; manifest-wave23.json), 24 (chameleon, asciitree,
multiset; manifest-wave24.json), 25 (pytweening, pylatexenc, wonderwords;
manifest-wave25.json), 26 (ebcdic, json-merge-patch, jsonpath-ng; manifest-wave26.json), 27
(pygtrie, cnlunar, wheel-filename; manifest-wave27.json), 28 (parso, tinydb,
validate-docbr; manifest-wave28.json), 29 (crccheck, decorator, pychord;
manifest-wave29.json), 30 (python-sql, otpauth, confusable-homoglyphs;
manifest-wave30.json), 31 (mdutils, pure-eval, configparser; manifest-wave31.json), 32
(forallpeople, epiweeks, metar; manifest-wave32.json), 33 (rounders, bytesparse, editables;
manifest-wave33.json) and 34 (gast, smbus2, pycrc; manifest-wave34.json) are the seen part,
since the proof's rules were changed after their failures were read, or (waves 13, 15 and 16)
since a newer wave was frozen after them.
libraries.py fetches them (layouts.py: how each tree and suite is laid out), corpus.py holds their
refactors, report.py prints them."""
