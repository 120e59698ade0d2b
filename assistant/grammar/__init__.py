"""The grammar of Chinese official text, one home for each part of it:

- `outline`: heading and item numbering (第X章/条, 一、, （一）, 1., （1）, ①) and its rank order;
- `sentences`: sentence ends and sentence splitting;
- `numerals`: Chinese numerals (parsed by cn2an);
- `dates`: dates as written (2021年3月1日, 二〇二一年三月一日, 2021.3.1), deadlines
  (到2023年), five-year-plan names (“十四五”) and document numbers (粤教考〔2015〕14号);
- `pages`: printed page numbers ("- 3 -", "第1页 共2页").

The patterns are data (`data/*.toml`). This package sits at the bottom: it imports
nothing from the assistant but the data-file reader (`assistant.vocab`).
"""
