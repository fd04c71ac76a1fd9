//! Writing HTML by hand: every piece of text goes through [`escape`], markup is written as is.

/// Escapes text for HTML content and quoted attribute values: `&`, `<`, `>`, `"` and `'`.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// A page being written.
#[derive(Debug, Default)]
pub struct Html(String);

impl Html {
    /// Markup written as is: only literals of this module's callers, never data.
    pub fn raw(&mut self, markup: &str) -> &mut Self {
        self.0.push_str(markup);
        self
    }

    /// Text, escaped.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.0.push_str(&escape(text));
        self
    }

    /// `<tag class="…">text</tag>`, the text escaped.
    pub fn element(&mut self, tag: &str, class: &str, text: &str) -> &mut Self {
        if class.is_empty() {
            self.raw(&format!("<{tag}>"));
        } else {
            self.raw(&format!("<{tag} class=\"{class}\">"));
        }
        self.text(text).raw(&format!("</{tag}>"))
    }

    /// One row of a two-column table: a heading and its value, both escaped.
    pub fn row(&mut self, heading: &str, value: &str) -> &mut Self {
        self.raw("<tr><th scope=\"row\">")
            .text(heading)
            .raw("</th><td>")
            .text(value)
            .raw("</td></tr>")
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_character_that_could_open_markup() {
        assert_eq!(
            escape("<script>alert('x')</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
        );
        assert_eq!(
            escape("\" onmouseover=\"steal()"),
            "&quot; onmouseover=&quot;steal()"
        );
        assert_eq!(escape("a &amp; b"), "a &amp;amp; b");
        assert_eq!(escape("Nguyễn Văn A"), "Nguyễn Văn A");
    }

    #[test]
    fn text_is_escaped_and_markup_is_not() {
        let mut html = Html::default();
        html.raw("<p>")
            .text("<img src=x onerror=alert(1)>")
            .raw("</p>")
            .element("span", "name", "</span><script>");
        assert_eq!(
            html.into_string(),
            "<p>&lt;img src=x onerror=alert(1)&gt;</p>\
             <span class=\"name\">&lt;/span&gt;&lt;script&gt;</span>"
        );
    }
}
