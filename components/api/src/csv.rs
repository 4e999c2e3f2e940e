//! CSV as RFC 4180 writes it: CRLF line ends, and a field quoted (its quotes doubled) when it
//! holds a comma, a quote, CR or LF; an absent value is an empty field.
//!
//! Text fields come partly from charge points (idTags, self-registered charge point ids) and
//! the file is opened in spreadsheets, where a cell starting with `=`, `+`, `-`, `@`, TAB or
//! CR is a formula: such text gets a leading `'` (OWASP's advice for CSV injection). Number
//! fields, whose minus sign matters, are written as given.

/// One field of a record.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field<'a> {
    /// Free text, neutralised against formulas.
    Text(Option<&'a str>),
    /// A number or decimal we formatted ourselves.
    Number(Option<&'a str>),
}

/// A CSV document being written, one record at a time.
#[derive(Debug, Default)]
pub(crate) struct CsvWriter {
    text: String,
}

impl CsvWriter {
    pub(crate) fn record<'a>(&mut self, fields: impl IntoIterator<Item = Field<'a>>) {
        for (index, field) in fields.into_iter().enumerate() {
            if index > 0 {
                self.text.push(',');
            }
            let field = match field {
                Field::Text(Some(text)) if text.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
                    format!("'{text}")
                }
                Field::Text(text) | Field::Number(text) => text.unwrap_or_default().to_owned(),
            };
            if field.contains([',', '"', '\r', '\n']) {
                self.text.push('"');
                self.text.push_str(&field.replace('"', "\"\""));
                self.text.push('"');
            } else {
                self.text.push_str(&field);
            }
        }
        self.text.push_str("\r\n");
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.text.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        let mut csv = CsvWriter::default();
        csv.record([
            Field::Text(Some("a")),
            Field::Text(None),
            Field::Number(Some("12.50")),
        ]);
        csv.record(
            [
                Some("x,y"),
                Some("say \"hi\""),
                Some("two\nlines"),
                Some("cr\r"),
                Some(" spaced "),
            ]
            .map(Field::Text),
        );
        assert_eq!(
            String::from_utf8(csv.into_bytes()).unwrap(),
            "a,,12.50\r\n\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\", spaced \r\n"
        );
    }

    #[test]
    fn text_a_spreadsheet_would_run_as_a_formula_is_neutralised_but_numbers_are_not() {
        let mut csv = CsvWriter::default();
        csv.record([
            Field::Text(Some("=HYPERLINK(\"http://x\",\"y\")")),
            Field::Text(Some("+1")),
            Field::Text(Some("-2")),
            Field::Text(Some("@SUM(A1)")),
            Field::Text(Some("\tx")),
            Field::Text(Some("a=b")),
            Field::Number(Some("-600")),
            Field::Number(Some("-1.25")),
        ]);
        assert_eq!(
            String::from_utf8(csv.into_bytes()).unwrap(),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'+1,'-2,'@SUM(A1),'\tx,a=b,-600,-1.25\r\n"
        );
    }
}
