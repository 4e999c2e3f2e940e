//! CSV as RFC 4180 writes it: CRLF line ends, and a field quoted (its quotes doubled) when it
//! holds a comma, a quote, CR or LF. Fields are written as given; an absent value is an
//! empty field.

/// A CSV document being written, one record at a time.
#[derive(Debug, Default)]
pub(crate) struct CsvWriter {
    text: String,
}

impl CsvWriter {
    pub(crate) fn record<'a>(&mut self, fields: impl IntoIterator<Item = Option<&'a str>>) {
        for (index, field) in fields.into_iter().enumerate() {
            if index > 0 {
                self.text.push(',');
            }
            let field = field.unwrap_or_default();
            if field.contains([',', '"', '\r', '\n']) {
                self.text.push('"');
                self.text.push_str(&field.replace('"', "\"\""));
                self.text.push('"');
            } else {
                self.text.push_str(field);
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
        csv.record([Some("a"), None, Some("12.50")]);
        csv.record([
            Some("x,y"),
            Some("say \"hi\""),
            Some("two\nlines"),
            Some("cr\r"),
            Some(" spaced "),
        ]);
        assert_eq!(
            String::from_utf8(csv.into_bytes()).unwrap(),
            "a,,12.50\r\n\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\", spaced \r\n"
        );
    }
}
