"""Import and export of the catalog as xlsx or JSON, a lossless round trip.

layout.py is the one table of sheets, columns and cell forms (and documents them); reading.py
turns a file into records that remember their sheet, row and column; validation.py checks a
whole file; importing.py writes it through the catalog's services in one transaction;
export.py writes the current catalog as a document, a workbook or JSON.
"""

from yiwang.catalog.transfer.export import ExportFile, export_document, export_file
from yiwang.catalog.transfer.importing import ImportSummary, import_catalog
from yiwang.catalog.transfer.reading import MAX_FILE_BYTES, check_size

__all__ = [
    "MAX_FILE_BYTES",
    "ExportFile",
    "ImportSummary",
    "check_size",
    "export_document",
    "export_file",
    "import_catalog",
]
