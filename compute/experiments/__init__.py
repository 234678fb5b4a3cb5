"""One module per experiment (or per closely related group), named after the book chapter.

Every module here is imported by the registry at start-up: keep module import cheap.
"""
