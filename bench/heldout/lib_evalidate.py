"""evalidate 2.1.7 (MIT), held out (wave 22): untrusted Python expressions validated and
evaluated (evalidate/__init__.py; evalidate/security.py its built-in attacks). Expr(src, model)
parses src in eval mode (a SyntaxError raised as CompilationException), walks the tree with
SafeAST, which refuses (ValidationException) a node whose type name is not in model.nodes, an
attribute not in model.attributes and a call by name to a function in neither
model.allowed_functions nor model.imported_functions (an indirect call refused outright), and
compiles it; Expr.eval(ctx_globals, ctx_locals) evaluates the code with the model's imported
functions under the caller's globals (the caller's names winning) and the caller's locals
mapping as it is given (a missing one, None, made an empty dict), any exception it raises
wrapped in ExecutionException. EvalModel.clone copies a model deeply; test_security tries the
given attacks, or the built-in ones, and answers whether every one was refused at validation
(test_attack counting a ValidationException alone as refused).

Its suite (tests/: 32 tests) checks arithmetic, comparisons and names from globals and locals,
calls to int and to imported functions, attributes and startswith allowed by a model, list
comprehensions, a UserDict with __missing__ as locals, the context dicts left unmutated, the
refusal of calls, attributes and node types a model lacks, of os.system, __import__,
__builtins__ subscripts and the code-object bombs, and ExecutionException for 1/0, an unknown
name and a MemoryError. A line tracer over it found unrun: evalidate/security.py (no test
imports it: test_attack and test_security), EvalModel.test_security and EvalModel.expr, the
raises of an attribute not allowed and of a call to a function not allowed (every such
expression in the suite is refused earlier, its Attribute or Call node not in the model), and
Expr.__str__. Its tests never give an attribute outside a model's attributes once Attribute is
allowed, a name both in the globals and among the imported functions, an empty locals mapping
with __missing__, a subscript of a missing key, or test_security an expression that does not
compile."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "evalidate"
INIT = "evalidate/__init__.py"
SECURITY = "evalidate/security.py"
SETUP = "from evalidate import Expr, base_eval_model"

CONTROLS = {
    "str_by_fstring": case(
        INIT, "Expr.__str__", "str.format to an f-string",
        "the text written by an f-string, f'Expr(expr={self.expr!r})', instead of "
        "str.format with a keyword argument: the same repr of the same source (a line no "
        "test runs)",
        ('''        return("Expr(expr={expr!r})".format(expr=self.expr))
''', '''        return f"Expr(expr={self.expr!r})"
''')),
    "call_check_by_de_morgan": case(
        INIT, "SafeAST.generic_visit", "De Morgan's law",
        "a function called by name refused when it is not in either list, written "
        "not (id in allowed_functions or id in imported_functions) instead of id not in "
        "allowed_functions and id not in imported_functions: 'x not in y' is 'not x in y', "
        "so the same calls are refused, the membership tests made in the same order",
        ('''                    if node.func.id not in self.model.allowed_functions and node.func'''
         '''.id not in self.model.imported_functions:
''', '''                    if not (node.func.id in self.model.allowed_functions
                            or node.func.id in self.model.imported_functions):
''')),
    "globals_by_conditional": case(
        INIT, "Expr.eval", "if/else statement to a conditional expression",
        "the globals built by one conditional expression, the imported functions merged "
        "under a non-empty ctx_globals or else the imported functions' dict itself, instead "
        "of an if/else statement assigning the same two expressions",
        ('''        if ctx_globals:
            ctx_globals = {
                **self.model.imported_functions,
                **ctx_globals
            }
        else:
            ctx_globals = self.model.imported_functions''',
         '''        ctx_globals = ({**self.model.imported_functions, **ctx_globals} if ctx_globals
                       else self.model.imported_functions)''')),
    "payloads_by_all": case(
        SECURITY, "test_security", "loop to all() of a generator",
        "the code-object bombs tried by all() of a generator of test_attack calls instead of "
        "a loop returning False at the first one that passes: all() stops at the same first "
        "false answer, so the same attacks are tried (and the same lines printed) and the "
        "same bool answered (lines no test runs: no test imports security.py)",
        ('    for payload in boom_payload:\n        attack = boom.format(payload=payload)\n'
         '        if not test_attack(attack=attack, model=model, verbose=verbose):\n'
         '            return False\n        \n    return True\n',
         '    return all(test_attack(attack=boom.format(payload=payload), model=model,\n'
         '                           verbose=verbose)\n'
         '               for payload in boom_payload)\n')),
}

CARELESS = {
    "globals_merge_reversed": case(
        INIT, "Expr.eval", "merge order reversed",
        "the model's imported functions unpacked after the caller's globals instead of "
        "before them: the same for the suite, whose globals never share a name with an "
        "imported function, but now an imported name hides the caller's value of the same "
        "name (a model importing limit = 10 answers 10 for the caller's limit = 3)",
        ('''                **self.model.imported_functions,
                **ctx_globals
''', '''                **ctx_globals,
                **self.model.imported_functions
'''),
        probe=Probe(SETUP + "\nm = base_eval_model.clone()\nm.imported_functions['limit'] = 10",
                    "Expr('limit', m).eval({'limit': 3})", "3", "10")),
    "execution_errors_listed": case(
        INIT, "Expr.eval", "exception clause narrowed",
        "the evaluation's exceptions wrapped when they are ArithmeticError, NameError, "
        "TypeError, ValueError or MemoryError instead of any Exception: the same for the "
        "suite's 1/0, unknown names and MemoryError, but a missing key or index (LookupError) "
        "or attribute now escapes unwrapped, not as ExecutionException",
        ('''        except Exception as e:
            raise ExecutionException(e)
''', '''        except (ArithmeticError, NameError, TypeError, ValueError, MemoryError) as e:
            raise ExecutionException(e)
'''),
        probe=Probe(SETUP, "Expr(\"d['k']\").eval({'d': {}})", "raises ExecutionException",
                    "raises KeyError")),
    "locals_by_truthiness": case(
        INIT, "Expr.eval", "test for None to truthiness",
        "a missing locals mapping told by ctx_locals or dict() instead of ctx_locals is "
        "None: the same for the suite's non-empty dicts and UserDict, but an empty mapping "
        "the caller gives (one with __missing__ answering every name) is now replaced by a "
        "plain dict, so its names are unknown",
        ('''        ctx_locals = dict() if ctx_locals is None else ctx_locals
''', '''        ctx_locals = ctx_locals or dict()
'''),
        probe=Probe(SETUP + "\nclass Lazy(dict):\n    def __missing__(self, key):\n"
                    "        return 0",
                    "Expr('a + 1').eval(ctx_locals=Lazy())", "1",
                    "raises ExecutionException")),
    "attribute_check_dropped": case(
        INIT, "SafeAST.generic_visit", "guard removed as redundant",
        "the check of an attribute's name against model.attributes removed, as if the "
        "Attribute node's place in model.nodes were enough: the suite's attributes are all "
        "allowed by name, or refused as nodes, so its raise never ran, but once a model "
        "allows Attribute every attribute is now accepted (x.real, or __class__)",
        ('''            if isinstance(node, ast.Attribute):
                if node.attr not in self.model.attributes:
                    raise ValidationException(
                        "Attribute {aname} is not allowed".format(
                            aname=node.attr))

''', ''),
        probe=Probe(SETUP + "\nm = base_eval_model.clone()\nm.nodes.append('Attribute')",
                    "Expr('x.real', m).eval({'x': 5})", "raises ValidationException", "5")),
    "attack_refused_by_base_class": case(
        SECURITY, "test_attack", "exception clause broadened",
        "an attack counted as refused when Expr raises any EvalException instead of a "
        "ValidationException alone: an attack that does not even compile (CompilationException, "
        "which test_security let through) is now counted as refused, and test_security "
        "answers True (a line no test runs: no test imports security.py)",
        ('''from evalidate import ValidationException, Expr, EvalModel, base_eval_model
''', '''from evalidate import EvalException, ValidationException, Expr, EvalModel, base_eval_model
'''), ('''    except ValidationException as e:
''', '''    except EvalException as e:
'''),
        probe=Probe(SETUP, "base_eval_model.test_security(attacks=['1 +'])",
                    "raises CompilationException", "True")),
}
