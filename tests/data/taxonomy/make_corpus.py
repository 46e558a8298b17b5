"""Regenerate tests/data/taxonomy/corpus: one small qna.yaml per rule of the schemas and lint config.

Folder names state the verdict the official parser gives (valid / invalid / warning);
tests/taxonomy/test_validate.py checks that and compares ilabdesk with the parser file by file.
Run: python tests/data/taxonomy/make_corpus.py
"""
import shutil
import textwrap
from pathlib import Path

R = Path(__file__).resolve().parent / "corpus"
if R.exists(): shutil.rmtree(R)
def w(rel, text, raw=None):
    p = R / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    if raw is not None:
        p.write_bytes(raw)
    else:
        p.write_text(textwrap.dedent(text).lstrip("\n") if text else "", newline="")
def seeds(n, ctx=False, indent="  ", start=1):
    out = []
    for i in range(start, start + n):
        if ctx:
            out.append(f"{indent}- context: |\n{indent}    Context number {i}.\n")
            out.append(f"{indent}  question: |\n{indent}    Question {i}?\n{indent}  answer: |\n{indent}    Answer {i}.\n")
        else:
            out.append(f"{indent}- question: Question {i}?\n{indent}  answer: |\n{indent}    Answer {i}\n{indent}    on two lines.\n")
    return "".join(out)
def kseeds(n, qa=3):
    out = []
    for i in range(1, n + 1):
        out.append(f"  - context: |\n      Passage {i} of the document.\n    questions_and_answers:\n")
        for j in range(1, qa + 1):
            out.append(f"      - question: What is fact {i}.{j}?\n        answer: Fact {i}.{j} is true.\n")
    return "".join(out)
DOC = "document:\n  repo: https://github.com/example/docs\n  commit: 951999afdc59c46d325493568193b40bd5439c9e\n  patterns:\n    - '*.md'\n"
CS = "compositional_skills"
# ---- skills, valid
w(f"{CS}/valid/v1_freeform/qna.yaml", "created_by: alice\ntask_description: Say hello\nseed_examples:\n- question: Hi?\n  answer: Hello!   \n")
w(f"{CS}/valid/v1_indentation_ignored/qna.yaml", "created_by: alice\ntask_description: ''\nseed_examples:\n    - question: Hi?\n      answer: Hello!\n      context: A greeting.")
w(f"{CS}/valid/v2_freeform/qna.yaml", "version: 2\ncreated_by: bob\ntask_description: Write short haiku poems.\nseed_examples:\n" + seeds(5))
w(f"{CS}/valid/v2_indentless/qna.yaml", "version: 2\ncreated_by: bob\ntask_description: Write short haiku poems.\nseed_examples:\n" + seeds(5, indent="").replace("\n  ", "\n  "))
w(f"{CS}/valid/v3_grounded/qna.yaml", "version: 3\ntask_description: Summarise a passage.\ncreated_by: carol\nseed_examples:\n" + seeds(6, ctx=True))
w(f"{CS}/valid/v3_document_start_comments/qna.yaml", "---\n# a comment\nversion: 3  # inline\ntask_description: Summarise a passage.\ncreated_by: carol\nseed_examples:\n" + seeds(5))
w(f"{CS}/valid/v3_long_lines/qna.yaml", "version: 3\ntask_description: " + "very long " * 40 + "end\ncreated_by: carol\nseed_examples:\n" + seeds(5))
w(f"{CS}/valid/v3_crlf/qna.yaml", None, raw=("version: 3\ntask_description: Windows line endings.\ncreated_by: dan\nseed_examples:\n" + seeds(5)).replace("\n", "\r\n").encode())
w(f"{CS}/valid/v3_utf8_bom/qna.yaml", None, raw=b"\xef\xbb\xbf" + ("version: 3\ntask_description: BOM.\ncreated_by: dan\nseed_examples:\n" + seeds(5)).encode())
w(f"{CS}/invalid/control_character/qna.yaml", "version: 3\ntask_description: bell \x07 here\ncreated_by: dan\nseed_examples:\n" + seeds(5))
w(f"{CS}/invalid/v3_date_created_by/qna.yaml", "version: 3\ntask_description: Dates.\ncreated_by: 2024-05-01\nseed_examples:\n" + seeds(5))
w(f"{CS}/invalid/v3_binary_tag/qna.yaml", "version: 3\ntask_description: !!python/object:os.system x\ncreated_by: dan\nseed_examples:\n" + seeds(5))
w(f"{CS}/valid/v3_lone_cr_newlines/qna.yaml", None, raw=("version: 3\ntask_description: Old Mac line endings.\ncreated_by: dan\nseed_examples:\n" + seeds(5)).replace("\n", "\r").encode())
w(f"{CS}/invalid/version_float_string/qna.yaml", "version: '3.0'\ncreated_by: bob\ntask_description: Float string.\nseed_examples:\n" + seeds(5))
w(f"{CS}/invalid/v3_empty_seed_examples/qna.yaml", "version: 3\ntask_description: Nothing.\ncreated_by: bob\nseed_examples: []\n")
w(f"{CS}/invalid/v3_null_seed/qna.yaml", "version: 3\ntask_description: Null seed.\ncreated_by: bob\nseed_examples:\n" + seeds(5) + "  -\n")
w(f"{CS}/invalid/trailing_tab_after_value/qna.yaml", "created_by: alice\ntask_description: Say hello\nseed_examples:\n- question: Hi?\n  answer: Hello!\t\n")
w(f"{CS}/valid/v3_unicode/qna.yaml", "version: 3\ntask_description: Traduire en français — ça marche ✓\ncreated_by: élodie\nseed_examples:\n" + seeds(5).replace("Question", "Qüestion"))
w(f"{CS}/valid/v3_truthy_strings/qna.yaml", "version: 3\ntask_description: Yes or no.\ncreated_by: erin\nseed_examples:\n" + "".join(f"  - question: Is {i} even?\n    answer: '{'yes' if i % 2 == 0 else 'no'}'\n" for i in range(1, 6)))
# ---- skills, invalid
w(f"{CS}/invalid/v1_missing_task_description/qna.yaml", "created_by: alice\nseed_examples:\n- question: Hi?\n  answer: Hello!\n")
w(f"{CS}/invalid/v2_four_seeds/qna.yaml", "version: 2\ncreated_by: bob\ntask_description: Too few.\nseed_examples:\n" + seeds(4))
w(f"{CS}/invalid/v3_missing_created_by/qna.yaml", "version: 3\ntask_description: No author.\nseed_examples:\n" + seeds(5))
w(f"{CS}/invalid/v3_empty_created_by/qna.yaml", "version: 3\ntask_description: Empty author.\ncreated_by: ''\nseed_examples:\n" + seeds(5))
w(f"{CS}/invalid/v3_extra_key/qna.yaml", "version: 3\ntask_description: Extra key.\ncreated_by: bob\nattribution: me\nseed_examples:\n" + seeds(5))
w(f"{CS}/invalid/v3_extra_key_in_seed/qna.yaml", "version: 3\ntask_description: Extra key.\ncreated_by: bob\nseed_examples:\n" + seeds(5) + "  - question: Q6?\n    answer: A6\n    explanation: none\n")
w(f"{CS}/invalid/v3_duplicate_seeds/qna.yaml", "version: 3\ntask_description: Dupes.\ncreated_by: bob\nseed_examples:\n" + seeds(4) + seeds(1))
w(f"{CS}/invalid/v3_empty_answer/qna.yaml", "version: 3\ntask_description: Empty answer.\ncreated_by: bob\nseed_examples:\n" + seeds(5) + "  - question: Q6?\n    answer: ''\n")
w(f"{CS}/invalid/v3_missing_answer/qna.yaml", "version: 3\ntask_description: Missing answer.\ncreated_by: bob\nseed_examples:\n" + seeds(5) + "  - question: Q6?\n")
w(f"{CS}/invalid/v3_boolean_answer/qna.yaml", "version: 3\ntask_description: Yes or no.\ncreated_by: erin\nseed_examples:\n" + "".join(f"  - question: Is {i} even?\n    answer: {'yes' if i % 2 == 0 else 'no'}\n" for i in range(1, 6)))
w(f"{CS}/invalid/v3_number_question/qna.yaml", "version: 3\ntask_description: Numbers.\ncreated_by: bob\nseed_examples:\n" + seeds(5) + "  - question: 42\n    answer: The answer.\n")
w(f"{CS}/invalid/v3_seed_examples_mapping/qna.yaml", "version: 3\ntask_description: Wrong type.\ncreated_by: bob\nseed_examples:\n  question: Q?\n  answer: A\n")
w(f"{CS}/invalid/v3_trailing_spaces/qna.yaml", "version: 3\ntask_description: Trailing.  \ncreated_by: bob\nseed_examples:\n" + seeds(5))
w(f"{CS}/invalid/v3_no_final_newline/qna.yaml", "version: 3\ntask_description: No newline.\ncreated_by: bob\nseed_examples:\n" + seeds(5).rstrip("\n"))
w(f"{CS}/invalid/v3_blank_lines/qna.yaml", "version: 3\ntask_description: Blank lines.\ncreated_by: bob\n\n\n\nseed_examples:\n" + seeds(5) + "\n")
w(f"{CS}/invalid/v3_inconsistent_sequences/qna.yaml", "version: 3\ntask_description: Mixed.\ncreated_by: bob\nseed_examples:\n" + seeds(5) + "other:\n- a\n")
w(f"{CS}/invalid/v3_block_scalar_overindent_parse_error/qna.yaml", "version: 3\ntask_description: Indent.\ncreated_by: bob\nseed_examples:\n" + seeds(5).replace("    Answer", "      Answer").replace("  answer: |\n      Answer 1\n      on", "  answer: |\n      Answer 1\n      on"))
w(f"{CS}/invalid/v3_duplicate_key/qna.yaml", "version: 3\ntask_description: First.\ntask_description: Second.\ncreated_by: bob\nseed_examples:\n" + seeds(5))
w(f"{CS}/invalid/v3_colons_spacing/qna.yaml", "version: 3\ntask_description : Space before colon.\ncreated_by:  bob\nseed_examples:\n" + seeds(5))
w(f"{CS}/invalid/v3_flow_style_spacing/qna.yaml", "version: 3\ntask_description: Flow.\ncreated_by: bob\nseed_examples: [{question: 'Q1', answer: A1},{question: 'Q2', answer: A2}, {question: 'Q3', answer: A3}, {question: 'Q4', answer: A4}, {  question: 'Q5', answer: A5  }]\n")
w(f"{CS}/invalid/v3_wrong_indentation_parse/qna.yaml", "version: 3\ntask_description: x\n created_by: bob\n")
w(f"{CS}/valid/v3_anchor_unused/qna.yaml", "version: 3\ntask_description: &desc Anchors.\ncreated_by: bob\nseed_examples:\n" + seeds(5))
w(f"{CS}/invalid/v3_document_in_skill/qna.yaml", "version: 3\ntask_description: Skill with a document.\ncreated_by: bob\nseed_examples:\n" + seeds(5) + DOC)
w(f"{CS}/invalid/v2_version_string/qna.yaml", "version: '2'\ncreated_by: bob\ntask_description: Version as string.\nseed_examples:\n" + seeds(5))
w(f"{CS}/valid/v2_float_version/qna.yaml", "version: 2.0\ncreated_by: bob\ntask_description: Float version.\nseed_examples:\n" + seeds(5))
w(f"{CS}/invalid/version_4/qna.yaml", "version: 4\ncreated_by: bob\ntask_description: Future.\nseed_examples:\n" + seeds(5))
w(f"{CS}/invalid/version_0/qna.yaml", "version: 0\ncreated_by: bob\ntask_description: Zero.\nseed_examples:\n" + seeds(5))
w(f"{CS}/invalid/version_true/qna.yaml", "version: true\ncreated_by: bob\ntask_description: Bool.\nseed_examples:\n" + seeds(5))
w(f"{CS}/invalid/version_word/qna.yaml", "version: three\ncreated_by: bob\ntask_description: Word version.\nseed_examples:\n" + seeds(5))
w(f"{CS}/invalid/version_null_v1_rules/qna.yaml", "version:\ncreated_by: bob\ntask_description: Null version.\nseed_examples:\n" + seeds(5))
w(f"{CS}/invalid/top_level_list/qna.yaml", "- question: Q?\n  answer: A\n")
w(f"{CS}/invalid/top_level_string/qna.yaml", "just a sentence\n")
w(f"{CS}/invalid/unparsable/qna.yaml", "version: 3\ntask_description: Broken\n  created_by: bob\nseed_examples:\n" + seeds(5))
w(f"{CS}/invalid/unclosed_quote/qna.yaml", "version: 3\ntask_description: 'Broken\ncreated_by: bob\n")
w(f"{CS}/invalid/tab_indent/qna.yaml", "version: 3\ntask_description: Tab\nseed_examples:\n\t- question: Q?\n")
w(f"{CS}/invalid/two_documents/qna.yaml", "version: 3\ncreated_by: bob\n---\nversion: 3\n")
w(f"{CS}/invalid/non_utf8/qna.yaml", None, raw=("version: 3\ntask_description: Caf\xe9 menu\ncreated_by: bob\nseed_examples:\n" + seeds(5)).encode("latin-1"))
w(f"{CS}/invalid/misnamed/qna.yml", "version: 3\ntask_description: Wrong name.\ncreated_by: bob\nseed_examples:\n" + seeds(5))
w(f"{CS}/warning/empty/qna.yaml", "")
w(f"{CS}/warning/only_comments/qna.yaml", "# nothing here yet\n")
w(f"{CS}/warning/empty_mapping/qna.yaml", "{}\n")
# ---- knowledge
K = "knowledge"
KV3 = "version: 3\ndomain: astronomy\ncreated_by: frank\nseed_examples:\n" + kseeds(5) + "document_outline: Facts about stars.\n" + DOC
w(f"{K}/valid/v3/qna.yaml", KV3)
w(f"{K}/valid/v3_block_literals/qna.yaml", KV3.replace("Passage 1 of the document.\n", "Passage 1 of the document,\n      on two lines.\n\n      With a blank line.\n"))
w(f"{K}/invalid/v1_deprecated/qna.yaml", "created_by: frank\ndomain: astronomy\ntask_description: Stars\nseed_examples:\n- question: Q?\n  answer: A\n" + DOC)
w(f"{K}/invalid/v2_deprecated/qna.yaml", "version: 2\ncreated_by: frank\ndomain: astronomy\ntask_description: Stars\nseed_examples:\n" + seeds(5) + DOC)
w(f"{K}/invalid/v3_missing_outline/qna.yaml", KV3.replace("document_outline: Facts about stars.\n", ""))
w(f"{K}/invalid/v3_task_description/qna.yaml", KV3.replace("domain: astronomy\n", "domain: astronomy\ntask_description: Old key.\n"))
w(f"{K}/invalid/v3_two_answers/qna.yaml", "version: 3\ndomain: astronomy\ncreated_by: frank\nseed_examples:\n" + kseeds(4) + kseeds(1, qa=2).replace("Passage 1", "Passage 9") + "document_outline: Facts.\n" + DOC)
w(f"{K}/invalid/v3_four_contexts/qna.yaml", "version: 3\ndomain: astronomy\ncreated_by: frank\nseed_examples:\n" + kseeds(4) + "document_outline: Facts.\n" + DOC)
w(f"{K}/invalid/v3_old_style_seeds/qna.yaml", "version: 3\ndomain: astronomy\ncreated_by: frank\nseed_examples:\n" + seeds(5) + "document_outline: Facts.\n" + DOC)
w(f"{K}/invalid/v3_no_document/qna.yaml", KV3.split("document:")[0])
w(f"{K}/invalid/v3_document_no_repo/qna.yaml", KV3.replace("  repo: https://github.com/example/docs\n", ""))
w(f"{K}/invalid/v3_document_empty_patterns/qna.yaml", KV3.replace("  patterns:\n    - '*.md'\n", "  patterns: []\n"))
w(f"{K}/invalid/v3_document_duplicate_patterns/qna.yaml", KV3.replace("    - '*.md'\n", "    - '*.md'\n    - '*.md'\n"))
w(f"{K}/invalid/v3_document_extra_key/qna.yaml", KV3.replace("  repo:", "  branch: main\n  repo:"))
w(f"{K}/invalid/v3_commit_number/qna.yaml", KV3.replace("951999afdc59c46d325493568193b40bd5439c9e", "1234567"))
w(f"{K}/invalid/v3_lint_and_schema/qna.yaml", KV3.replace("domain: astronomy\n", "domain: astronomy   \n").replace("document_outline: Facts about stars.\n", ""))
w(f"{K}/invalid/misnamed_case/QNA.yaml", KV3)
w(f"{K}/invalid/v3_mapping_indent_4/qna.yaml", KV3.replace("  repo:", "    repo:").replace("  commit:", "    commit:").replace("  patterns:\n    - ", "    patterns:\n      - "))
w(f"{K}/invalid/v3_indent_mixed/qna.yaml", "version: 3\ndomain: astronomy\ncreated_by: frank\nseed_examples:\n" + kseeds(5).replace("\n  ", "\n    ").replace("  - context", "    - context", 1) + "document_outline: Facts.\ndocument:\n    repo: https://github.com/example/docs\n    commit: abc1234\n    patterns:\n        - '*.md'\n")
# ---- foundational skills: compositional_skills schema unless a document is present
F = "foundational_skills"
w(f"{F}/valid/v3/qna.yaml", "version: 3\ntask_description: Reasoning.\ncreated_by: gina\nseed_examples:\n" + seeds(5))
w(f"{F}/valid/v3_knowledge_shape/qna.yaml", KV3)
w(f"{F}/invalid/v3_too_few/qna.yaml", "version: 3\ntask_description: Reasoning.\ncreated_by: gina\nseed_examples:\n" + seeds(3))
w(f"{F}/invalid/v3_knowledge_shape_missing_outline/qna.yaml", KV3.replace("document_outline: Facts about stars.\n", ""))
