"""The real-library refactor corpus's frozen waves (issue 49, item 5): wave 2 (netaddr, json5,
texttable; manifest-wave2.json) is the held-out part, wave 1 (webcolors, idna, simpleeval;
manifest.json) the seen part since the proof's rules were changed after its failures were
read. libraries.py fetches them, corpus.py holds their refactors, report.py prints them."""
