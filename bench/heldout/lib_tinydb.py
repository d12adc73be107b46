"""tinydb 4.9.0 (MIT), held out (wave 28): a tiny document-oriented database in pure Python
(tinydb/: database, the TinyDB class, forwarding to its default table; table, Table and
Document; queries, Query and QueryInstance; operations, update functions; storages,
JSONStorage and MemoryStorage; middlewares, CachingMiddleware; utils, LRUCache, FrozenDict
and freeze). A Table keeps its documents under str ids in the storage and reads them back
as ints; get answers by doc_id first, then doc_ids, then a condition; contains(doc_id=...)
asks whether get found a document (an empty document is one); search caches the documents a
cacheable query found in an LRUCache and hands out copies of the cached list. LRUCache.get
answers a stored value unless it is None (0 and other falsy values are values) and moves it
to the end. A QueryInstance is cacheable when its hash value is not None (noop's is the
empty tuple); & and | of two cacheable queries hash a frozenset of both hashes, otherwise
None. Query.fragment matches a document holding each of the fragment's keys with an equal
value; the update operations add, subtract, increment and decrement rebind the field with
an augmented assignment (a list extended in place by any iterable); freeze turns dicts,
lists, tuples and sets into FrozenDicts, tuples and frozensets.

Its suite (tests/: 219 tests) runs the database on JSON files and in memory: inserting,
searching, updating, upserting and removing by queries and ids, document ids after reopening
a file of a hundred documents, the query cache and its size, every query operator, path and
regular expression, any and all over lists of values and of dicts, the update operations on
ints and strings, the caching middleware, the JSON storage's modes and encodings, and the
LRUCache's order. A line tracer over it found every line run but the mypy plugin, the else
branches of QueryInstance.__and__ and __or__ (an uncacheable operand), Table.storage, the
abstract Storage methods and with_typehint's TYPE_CHECKING return. Its tests never get with
both a condition and a doc_id, never search twice with one query and change the list the
second search returned, never match a fragment holding None for a missing key, never add a
tuple to a list field, and read a falsy value back with LRUCache.get only where it cannot
show (an empty list of the query cache: the search is run again, to the same answer)."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "tinydb"
TABLE = "tinydb/table.py"
QUERIES = "tinydb/queries.py"
OPERATIONS = "tinydb/operations.py"
STORAGES = "tinydb/storages.py"
MIDDLEWARES = "tinydb/middlewares.py"
UTILS = "tinydb/utils.py"
SETUP = '''from tinydb import Query, TinyDB, where
from tinydb.storages import MemoryStorage
from tinydb.operations import add
from tinydb.utils import LRUCache
db = TinyDB(storage=MemoryStorage)
db.insert_multiple([{'a': 1}, {'a': 2}])
def researched():
    query = where('a') == 1
    db.search(query)
    db.search(query).clear()
    return len(db.search(query))
def added(doc, field, n):
    add(field, n)(doc)
    return doc
def cached_get(value):
    cache = LRUCache(capacity=3)
    cache['a'] = value
    return cache.get('a', 'missing')'''

CONTROLS = {
    "freeze_sequences_merged": case(
        UTILS, "freeze", "two branches merged",
        "lists and tuples frozen by one branch, isinstance(obj, (list, tuple)), instead of "
        "two with the same body: both become a tuple of their frozen elements, and the "
        "branches before and after them are unchanged",
        ('''    elif isinstance(obj, list):
        # Transform lists into tuples
        return tuple(freeze(el) for el in obj)
    elif isinstance(obj, tuple):
        # Freeze tuple elements too, so a nested dict/list inside an
        # already-tuple arg (e.g. Query.test's *args) is still hashable
        return tuple(freeze(el) for el in obj)
''', '''    elif isinstance(obj, (list, tuple)):
        # Transform lists into tuples, and freeze tuple elements too, so a
        # nested dict/list inside an already-tuple arg (e.g. Query.test's
        # *args) is still hashable
        return tuple(freeze(el) for el in obj)
''')),
    "and_hash_by_conditional": case(
        QUERIES, "QueryInstance.__and__", "if statement to conditional expression",
        "the combined hash value written as one conditional expression instead of an if "
        "and an else assigning it: the same test, is_cacheable() of both, and the same two "
        "values (its else is a line no test runs: no test combines an uncacheable query by &)",
        ('''        if self.is_cacheable() and other.is_cacheable():
            hashval = ('and', frozenset([self._hash, other._hash]))
        else:
            hashval = None
        return QueryInstance(lambda value: self(value) and other(value), hashval)
''', '''        hashval = (('and', frozenset([self._hash, other._hash]))
                   if self.is_cacheable() and other.is_cacheable() else None)
        return QueryInstance(lambda value: self(value) and other(value), hashval)
''')),
    "writing_mode_by_generator": case(
        STORAGES, "JSONStorage.__init__", "list comprehension to generator",
        "the writing modes tested by any() over a generator of the characters of '+wa' "
        "instead of over a list built from the tuple ('+', 'w', 'a'): the same three "
        "one-character tests of the mode string, any() stopping at the first true one "
        "(each test is a substring test without side effects)",
        ("if any([character in self._mode for character in ('+', 'w', 'a')]):",
         "if any(character in self._mode for character in '+wa'):")),
    "write_statements_reordered": case(
        MIDDLEWARES, "CachingMiddleware.write", "independent statements reordered",
        "the count of cached writes incremented before the data is put in the cache "
        "instead of after: two assignments to different attributes, neither reading the "
        "other, both done before the flush test",
        ('''        self.cache = data
        self._cache_modified_count += 1
''', '''        self._cache_modified_count += 1
        self.cache = data
''')),
}

CARELESS = {
    "get_condition_first": case(
        TABLE, "Table.get", "order of checks",
        "the condition tested first, the commonest call, then doc_id and doc_ids, the "
        "branches taken for exclusive: but get(cond, doc_id=...) answered the document of "
        "that id, and now answers the first document matching the condition",
        ('''        table = self._read_table()

        if doc_id is not None:
''', '''        table = self._read_table()

        if cond is not None:
            # Find a document specified by a query
            # The trailing underscore in doc_id_ is needed so MyPy
            # doesn't think that `doc_id_` (which is a string) needs
            # to have the same type as `doc_id` which is this function's
            # parameter and is an optional `int`.
            for doc_id_, doc in self._read_table().items():
                if cond(doc):
                    return self.document_class(
                        doc,
                        self.document_id_class(doc_id_)
                    )

            return None

        elif doc_id is not None:
'''), ('''                if doc_id in doc_ids_set
            ]

        elif cond is not None:
            # Find a document specified by a query
            # The trailing underscore in doc_id_ is needed so MyPy
            # doesn't think that `doc_id_` (which is a string) needs
            # to have the same type as `doc_id` which is this function's
            # parameter and is an optional `int`.
            for doc_id_, doc in self._read_table().items():
                if cond(doc):
                    return self.document_class(
                        doc,
                        self.document_id_class(doc_id_)
                    )

            return None

        raise RuntimeError''', '''                if doc_id in doc_ids_set
            ]

        raise RuntimeError'''),
        probe=Probe(SETUP, "db.get(where('a') == 2, doc_id=1)", "{'a': 1}", "{'a': 2}")),
    "cached_list_handed_out": case(
        TABLE, "Table.search", "copy dropped",
        "the cached documents returned as they are instead of a copy, the cache holding "
        "its own copy of the list it was given: but then the list a second search hands out "
        "is the cache's, and a caller clearing it empties the cached answer, which the next "
        "search returns",
        ('''        if cached_results is not None:
            return cached_results[:]
''', '''        if cached_results is not None:
            return cached_results
'''),
        probe=Probe(SETUP, "researched()", "1", "0")),
    "fragment_missing_by_get": case(
        QUERIES, "Query.fragment", "membership and lookup to get",
        "each key tested by value.get(key) != document[key] instead of its membership and "
        "then its value: the same for every value but None, where a document lacking the "
        "key now matches a fragment asking for None",
        ('''            for key in document:
                if key not in value or value[key] != document[key]:
                    return False
''', '''            for key in document:
                if value.get(key) != document[key]:
                    return False
'''),
        probe=Probe(SETUP, "Query().fragment({'b': None})({'a': 1})", "False", "True")),
    "add_not_in_place": case(
        OPERATIONS, "add", "augmented assignment to assignment",
        "the field rebound by doc[field] = doc[field] + n instead of doc[field] += n, the "
        "same sum for numbers and strings: but += on a list extends it in place by any "
        "iterable, where list + tuple raises TypeError",
        ('''    def transform(doc: MutableMapping):
        doc[field] += n

    return transform


def subtract''', '''    def transform(doc: MutableMapping):
        doc[field] = doc[field] + n

    return transform


def subtract'''),
        probe=Probe(SETUP, "added({'f': [1]}, 'f', (2,))", "{'f': [1, 2]}",
                    "raises TypeError")),
    "lru_get_by_truth": case(
        UTILS, "LRUCache.get", "is not None to truthiness",
        "a cached value tested by its truth instead of is not None: the same for the "
        "query cache's non-empty lists and the suite's values, but a falsy value (0, '', an "
        "empty list) now reads as missing: the default is answered and the entry is not "
        "moved to the end",
        ('''        value = self.cache.get(key)

        if value is not None:
''', '''        value = self.cache.get(key)

        if value:
'''),
        probe=Probe(SETUP, "cached_get(0)", "0", "'missing'")),
}
