"""Tables answered from their rows: read tables (XLS/XLSX, DOCX, HTML, PDF), turn rows into
records, index them per collection, match a question's place or name to rows, answer."""
