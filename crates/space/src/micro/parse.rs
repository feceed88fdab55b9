//! A small recursive-descent parser for the Python text form of DARTS genotypes.

use super::genotype::DartsGenotype;
use super::operation::Operation;
use crate::SpaceError;

struct Parser<'a> {
    text: &'a str,
    offset: usize,
}

/// Parses a genotype without validating its structure.
pub(crate) fn parse_genotype(text: &str) -> Result<DartsGenotype, SpaceError> {
    let mut parser = Parser { text, offset: 0 };
    parser.skip_space();
    if parser.rest().starts_with("Genotype") {
        parser.offset += "Genotype".len();
    }
    parser.expect('(')?;
    let mut normal = None;
    let mut normal_concat = None;
    let mut reduce = None;
    let mut reduce_concat = None;
    while !parser.eat(')') {
        let field_offset = parser.offset;
        let field = parser.identifier()?;
        parser.expect('=')?;
        match field {
            "normal" => normal = Some(parser.units()?),
            "reduce" => reduce = Some(parser.units()?),
            "normal_concat" => normal_concat = Some(parser.concat()?),
            "reduce_concat" => reduce_concat = Some(parser.concat()?),
            other => return Err(parser.error_at(field_offset, format!("unknown field '{other}'"))),
        }
        parser.eat(',');
    }
    parser.skip_space();
    if !parser.rest().is_empty() {
        return Err(parser.error("text after the closing ')'"));
    }
    let missing = |name: &str| parser.error(&format!("field '{name}' is missing"));
    Ok(DartsGenotype {
        normal: normal.ok_or_else(|| missing("normal"))?,
        normal_concat: normal_concat.ok_or_else(|| missing("normal_concat"))?,
        reduce: reduce.ok_or_else(|| missing("reduce"))?,
        reduce_concat: reduce_concat.ok_or_else(|| missing("reduce_concat"))?,
    })
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.offset..]
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.offset += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, expected: char) -> bool {
        self.skip_space();
        if self.rest().starts_with(expected) {
            self.offset += expected.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, expected: char) -> Result<(), SpaceError> {
        if self.eat(expected) {
            Ok(())
        } else {
            Err(self.error(&format!("expected '{expected}'")))
        }
    }

    fn error(&self, message: &str) -> SpaceError {
        self.error_at(self.offset, message.to_owned())
    }

    fn error_at(&self, offset: usize, message: String) -> SpaceError {
        SpaceError::Parse { offset, message }
    }

    fn take_while(&mut self, accept: impl Fn(char) -> bool) -> &'a str {
        let rest = self.rest();
        let end = rest.find(|c: char| !accept(c)).unwrap_or(rest.len());
        self.offset += end;
        &rest[..end]
    }

    fn identifier(&mut self) -> Result<&'a str, SpaceError> {
        self.skip_space();
        let name = self.take_while(|c| c.is_ascii_alphanumeric() || c == '_');
        if name.is_empty() {
            return Err(self.error("expected a field name"));
        }
        Ok(name)
    }

    fn integer(&mut self) -> Result<usize, SpaceError> {
        self.skip_space();
        let start = self.offset;
        let digits = self.take_while(|c| c.is_ascii_digit());
        digits
            .parse()
            .map_err(|_| self.error_at(start, "expected a non-negative integer".to_owned()))
    }

    fn quoted(&mut self) -> Result<&'a str, SpaceError> {
        self.skip_space();
        let quote = match self.rest().chars().next() {
            Some(quote @ ('\'' | '"')) => quote,
            _ => return Err(self.error("expected a quoted operation name")),
        };
        self.offset += 1;
        let name = self.take_while(|c| c != quote);
        if !self.eat(quote) {
            return Err(self.error("unterminated operation name"));
        }
        Ok(name)
    }

    /// Parses `[('op', input), ...]`.
    fn units(&mut self) -> Result<Vec<(Operation, usize)>, SpaceError> {
        self.expect('[')?;
        let mut units = Vec::new();
        while !self.eat(']') {
            self.expect('(')?;
            let name_offset = self.offset;
            let name = self.quoted()?;
            let operation = name
                .parse::<Operation>()
                .map_err(|error| self.error_at(name_offset, error.to_string()))?;
            self.expect(',')?;
            let input = self.integer()?;
            self.skip_unit_tail()?;
            units.push((operation, input));
            self.eat(',');
        }
        Ok(units)
    }

    /// Skips an optional third element of a unit and the closing bracket.
    fn skip_unit_tail(&mut self) -> Result<(), SpaceError> {
        if self.eat(',') {
            self.skip_space();
            self.take_while(|c| c != ')');
        }
        self.expect(')')
    }

    /// Parses `[2, 3, 4]`, `range(2, 6)` or `range(6)`.
    fn concat(&mut self) -> Result<Vec<usize>, SpaceError> {
        self.skip_space();
        if self.rest().starts_with("range") {
            self.offset += "range".len();
            self.expect('(')?;
            let first = self.integer()?;
            let (start, end) = if self.eat(',') {
                (first, self.integer()?)
            } else {
                (0, first)
            };
            self.expect(')')?;
            return Ok((start..end).collect());
        }
        self.expect('[')?;
        let mut states = Vec::new();
        while !self.eat(']') {
            states.push(self.integer()?);
            self.eat(',');
        }
        Ok(states)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_multiline_form_with_range() {
        let text = "Genotype(\n  normal = [\n    (\"sep_conv_3x3\", 0),\n    ('skip_connect', 1, 1.0),\n  ],\n  normal_concat = range(2, 3),\n  reduce = [('max_pool_3x3', 0), ('max_pool_3x3', 1)],\n  reduce_concat = [2],\n)";
        let genotype = parse_genotype(text).unwrap();
        assert_eq!(
            genotype.normal,
            vec![(Operation::SepConv3x3, 0), (Operation::SkipConnect, 1)]
        );
        assert_eq!(genotype.normal_concat, vec![2]);
        assert_eq!(genotype.reduce_concat, vec![2]);
    }

    #[test]
    fn reports_unknown_operation_with_offset() {
        let error = parse_genotype("Genotype(normal=[('none', 0)])").unwrap_err();
        match error {
            SpaceError::Parse { offset, message } => {
                assert_eq!(offset, 18);
                assert!(message.starts_with("unknown operation 'none'"));
            }
            other => panic!("unexpected error {other:?}"),
        }
    }

    #[test]
    fn reports_missing_field() {
        let error = parse_genotype("Genotype(normal=[], normal_concat=[])").unwrap_err();
        assert!(error.to_string().contains("field 'reduce' is missing"));
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for text in [
            "",
            "(",
            "Genotype(normal=[(",
            "Genotype(x=1)",
            "Genotype()) tail",
            "Genotype(normal=[('sep_conv_3x3'",
            "é(",
        ] {
            assert!(parse_genotype(text).is_err(), "{text}");
        }
    }
}
