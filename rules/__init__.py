"""The policy as data, and the code that loads, checks, compiles and runs it."""
