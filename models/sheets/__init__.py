"""Spreadsheet reading, one concept in one place (below every layer that uses it).

- ``files``: a file's bytes (XLSX streamed and bounded, CSV in UTF-8 or GB18030) as
  pieces of text cells, within ``SheetLimits``; the template (``template``).
- ``columns``: Chinese and English headers, value labels.
- ``rows``: one row at a time through the contract models — the exact reference, and
  the fallback for every row the column-wise reader is unsure of.
- ``table``: the column-wise reader (each distinct text parsed once, vectorized checks);
  twin of ``rows`` with a speed reason, held equal by tests/models/test_sheet_bulk.py.
- ``labelled``: a population sheet with an optional outcome column, for analysis.
"""
