"""Before/after evaluation of a tuned model against its base, on the laptop.

Reference scoring (key facts + ROUGE-L), a judge's 1-10 rating with reasons,
multiple-choice questions built from the leaf's documents, and a regression
check on general questions the base already answers. The job lives in
`ilabdesk.evaluation.job` (kind "evaluate"); everything else is plain Python.
"""
