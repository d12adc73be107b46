"""pychord 1.4.1 (MIT), held out (wave 29): musical chords (pychord/: chord, Chord; parser,
parse and parse_scale; quality, Quality, QualityManager and scale_notes; analyzer,
find_chords_from_notes; progression, ChordProgression; utils, augment, diminish, note_to_val
and transpose_note; constants/). parse() splits a chord name into its root (a letter with up
to two flats or sharps), its inversion (every /digits removed, the first one's number kept),
its bass note (all after the first remaining slash, checked as a note) and its quality.
Chord.__eq__ compares roots and bass notes by pitch (note_to_val, modulo 12), one chord with
a bass note and one without differing. augment() drops one trailing flat or adds a sharp;
diminish() the reverse. transpose_note() reads the new note's name from the key's table of
sharps or flats (SCALE_VAL_DICT[scale], a KeyError for an unknown key). ChordProgression
builds its own list of chords from a list of names or chords. _get_interval_pitch() turns an
interval ('b3', '9') into semitones by its degree within the octave and its octave;
scale_notes() names a scale's notes, trying each letter's spellings from double flat to
double sharp.

Its suite (test/: 85 tests, 173 subtests, unittest) parses valid and invalid chords, slash
chords and inversions, compares chords (equal and enharmonic roots, different qualities and
bass notes), builds chords from scale degrees, diatonically and chromatically, lists the
components of 69 chords and with pitches, transposes chords and progressions, finds chords
from notes, and overrides qualities. A line tracer over it found every line of the package
run. Its tests never compare two slash chords whose bass notes are enharmonic, augment a
double-flat note, build a progression from a list they read afterwards, parse a chord with
two bass notes, nor transpose in a key the tables lack."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "pychord"
CHORD = "pychord/chord.py"
PARSER = "pychord/parser.py"
QUALITY = "pychord/quality.py"
UTILS = "pychord/utils.py"
ANALYZER = "pychord/analyzer.py"
PROGRESSION = "pychord/progression.py"

CONTROLS = {
    "interval_pitch_by_divmod": case(
        QUALITY, "_get_interval_pitch", "modulo and floor division to divmod",
        "the interval's degree and octave taken by divmod(offset, 7) instead of offset % 7 "
        "and offset // 7: divmod answers exactly that pair",
        ('''    value = RELATIVE_KEY_DICT["maj"][offset % 7] + 12 * (offset // 7)
''', '''    octave, degree = divmod(offset, 7)
    value = RELATIVE_KEY_DICT["maj"][degree] + 12 * octave
''')),
    "dead_store_removed": case(
        QUALITY, "scale_notes", "dead assignment removed",
        "the note = alter(note) at the end of the loop over a letter's spellings removed: "
        "the for statement rebinds note at its next iteration, the loop's else clause does "
        "not read it, nothing after the loop does, and augment and diminish only build "
        "strings",
        ('''            if note_to_val(note) == note_val:
                notes.append(note)
                break
            note = alter(note)
        else:
''', '''            if note_to_val(note) == note_val:
                notes.append(note)
                break
        else:
''')),
    "bass_lowered_at_equal": case(
        CHORD, "Chord.components", "strict to non-strict comparison",
        "the bass note's value lowered by an octave when on_value >= components[0] instead "
        "of >: every component of the bass note's pitch class was just filtered out, so the "
        "first remaining one never equals the bass note's value",
        ('''                if on_value > components[0]:
''', '''                if on_value >= components[0]:
''')),
    "root_compared_by_pitch": case(
        ANALYZER, "find_chords_from_notes", "name comparison to pitch comparison",
        "each rotation's root compared with the lowest note by pitch (note_to_val) instead of "
        "by name: the notes were just deduplicated by pitch, so two of them share a name "
        "exactly when they are the same note, which is when they share a pitch",
        ('''        if temp_root == root:
''', '''        if note_to_val(temp_root) == note_to_val(root):
''')),
}

CARELESS = {
    "bass_presence_by_name": case(
        CHORD, "Chord.__eq__", "bool() dropped",
        "the first test, one chord with a bass note and the other without, written "
        "self._on != other.on, the bool()s dropped as redundant for strings: but != compares "
        "the names themselves, so two slash chords whose bass notes are enharmonic (F# and "
        "Gb), equal by the pitch test after it, now differ",
        ('''            bool(self._on)
            != bool(other.on)
''', '''            self._on
            != other.on
'''),
        probe=Probe("from pychord import Chord", "Chord('C/F#') == Chord('C/Gb')", "True",
                    "False")),
    "flat_stripped_whole": case(
        UTILS, "augment", "slice to strip",
        "a note's trailing flat removed by rstrip('b') instead of note[:-1]: the same for a "
        "note with one flat, but rstrip removes every trailing b, so augmenting a "
        "double-flat note gives the natural note, two semitones up, not the single flat",
        ('''    if note.endswith("b"):
        return note[:-1]
''', '''    if note.endswith("b"):
        return note.rstrip("b")
'''),
        probe=Probe("from pychord.utils import augment", "augment('Cbb')", "'Cb'", "'C'")),
    "names_converted_in_place": case(
        PROGRESSION, "ChordProgression.__init__", "mutation of an argument",
        "a list of chords converted in place, each name replaced by its Chord, and that "
        "list kept as the progression's, instead of building a new list: the progression is "
        "the same, but the caller's list of names now holds Chords and shares every later "
        "append, insert and pop with the progression",
        ('''            chords = [self._as_chord(chord) for chord in initial_chords]
''', '''            for i, chord in enumerate(initial_chords):
                initial_chords[i] = self._as_chord(chord)
            chords = initial_chords
'''),
        probe=Probe("from pychord import ChordProgression",
                    "(lambda names: (ChordProgression(names), names)[1])(['C', 'G'])",
                    "['C', 'G']", "[<Chord: C>, <Chord: G>]")),
    "bass_by_split": case(
        PARSER, "parse", "slice to split",
        "the bass note taken as rest.split('/')[1] instead of the slice after the first "
        "slash: the same for one slash, but with two the slice kept 'G/A', which is no note "
        "and raised ValueError, and split() keeps 'G' and silently drops the rest",
        ('''        on = rest[on_chord_idx + 1 :]
''', '''        on = rest.split("/")[1]
'''),
        probe=Probe("from pychord import Chord", "Chord('C/G/A').on", "raises ValueError",
                    "'G'")),
    "unknown_key_flattened": case(
        UTILS, "transpose_note", "lookup to a defaulted lookup",
        "the key's table of note names read by SCALE_VAL_DICT.get(scale, FLATTED_SCALE), "
        "C's table, the default key's, instead of by indexing: the same for every key in the "
        "table, but an unknown key, which raised KeyError, now transposes with flats",
        ('''from .constants.scales import NOTE_VALUES, SCALE_VAL_DICT
''', '''from .constants.scales import FLATTED_SCALE, NOTE_VALUES, SCALE_VAL_DICT
'''), ('''    return SCALE_VAL_DICT[scale][val % 12]
''', '''    return SCALE_VAL_DICT.get(scale, FLATTED_SCALE)[val % 12]
'''),
        probe=Probe("from pychord import Chord",
                    "(lambda c: (c.transpose(1, 'H'), c.chord)[1])(Chord('C'))",
                    "raises KeyError", "'Db'")),
}
