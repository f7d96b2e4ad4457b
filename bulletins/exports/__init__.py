"""Files for other programs and for the assessment office (考核办).

* ``units.csv`` / ``units.xlsx`` — :mod:`bulletins.exports.units`
* ``conduct.csv`` / ``conduct.xlsx`` — :mod:`bulletins.exports.conduct`

CSVs keep the CONTRACT's English headers (UTF-8 with BOM); the .xlsx files have a
title row and Chinese headers. Every text cell that a spreadsheet could read as a
formula is escaped (:mod:`bulletins.exports.cells`).
"""
