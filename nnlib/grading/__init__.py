"""Exercise generation, assembly, running and scoring of nnbook's exercise notebooks.

``checks`` holds the helpers test cells call; ``python -m nnlib.grading`` generates the student
notebooks and grades submissions (see ``book/instructors.md``).
"""
