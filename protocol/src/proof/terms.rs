//! Term definitions of the pinned JSON-LD contexts, read once from the context files: what the
//! direct JSON → RDF conversion ([`super::direct`]) looks keys, types and values up in.
//!
//! Only what the pinned contexts need is modelled: terms mapped to absolute IRIs, `id`/`type`
//! aliases, `@type` coercion to `@id`, `@vocab` or a datatype, `@reverse`, `@container: @set`,
//! scoped `@context`s, `@protected` and a context-wide `@vocab`. Any other definition is kept as
//! [`Def::Unsupported`], so a document using that term is left to the general processor rather
//! than given a meaning here; a context with any other context-wide keyword is not usable at all.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// How a term's string values become RDF terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coercion {
    /// A plain `xsd:string` literal (or the value's native type).
    None,
    /// `@type: @id`: an IRI.
    Id,
    /// `@type: @vocab`: a term of the active context, or an IRI.
    Vocab,
    /// `@type: <datatype>`: a literal of that datatype (an index into [`Tables::datatypes`]).
    Datatype(usize),
}

/// What a term means.
#[derive(Debug)]
pub(crate) enum Def {
    /// An alias of `@id`.
    IdAlias,
    /// An alias of `@type`.
    TypeAlias,
    /// A property (or class) IRI.
    Property(Property),
    /// A definition the direct conversion does not model (`@container: @graph`, `@json`, ...).
    Unsupported,
}

/// A term mapped to an IRI.
#[derive(Debug)]
pub(crate) struct Property {
    /// The IRI.
    pub iri: String,
    /// Whether the term is `@reverse`.
    pub reverse: bool,
    /// How its values are read.
    pub coercion: Coercion,
    /// Its scoped `@context`, as an index into [`Tables::layers`].
    pub scoped: Option<usize>,
}

/// A term's definition with what redefinition rules need.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The definition.
    pub def: Def,
    /// Whether it is `@protected`.
    pub protected: bool,
    /// The definition's JSON (without `@protected`), interned: two definitions with the same
    /// number are the same definition, which is what redefining a protected term requires.
    pub same_as: usize,
}

/// One processed context object: its terms and its `@vocab`.
#[derive(Debug, Default)]
pub(crate) struct Layer {
    /// Term definitions by term.
    pub terms: HashMap<String, Entry>,
    /// The `@vocab` mapping, if the context sets one.
    pub vocab: Option<String>,
}

/// Every layer of every pinned context, built once.
#[derive(Debug, Default)]
pub(crate) struct Tables {
    /// Top-level and scoped contexts.
    pub layers: Vec<Layer>,
    /// The layer of each usable pinned context URL.
    pub roots: HashMap<&'static str, usize>,
    /// Every term any pinned context defines, so that a string which could be a compact IRI
    /// (`term:suffix`) is never read as an absolute IRI.
    pub names: HashSet<String>,
    /// The datatype IRIs coercions name.
    pub datatypes: Vec<String>,
    interned: HashMap<String, usize>,
}

/// The tables, built on first use from the compiled-in contexts. They are derived from
/// constants and never change afterwards, so sharing them is no process state.
pub(crate) fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut tables = Tables::default();
        for (url, _, text) in crate::contexts::PINNED {
            let Ok(json) = serde_json::from_str::<Value>(text) else {
                continue;
            };
            if let Some(Value::Object(context)) = json.get("@context")
                && let Some(layer) = tables.layer(context)
            {
                tables.roots.insert(url, layer);
            }
        }
        tables
    })
}

impl Tables {
    /// Reads one context object into a new layer; `None` if it uses a context-wide feature that
    /// is not modelled (`@base`, `@language`, `@import`, `@propagate`, ...).
    fn layer(&mut self, context: &Map<String, Value>) -> Option<usize> {
        let protected = match context.get("@protected") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return None,
        };
        let mut layer = Layer::default();
        for (key, value) in context {
            match key.as_str() {
                "@protected" => {}
                "@version" if value.as_f64() == Some(1.1) => {}
                "@vocab" => layer.vocab = Some(absolute(value.as_str()?)?.to_owned()),
                k if k.starts_with('@') => return None,
                term => {
                    self.names.insert(term.to_owned());
                    let entry = self.entry(term, value, protected);
                    layer.terms.insert(term.to_owned(), entry);
                }
            }
        }
        self.layers.push(layer);
        Some(self.layers.len() - 1)
    }

    fn entry(&mut self, term: &str, value: &Value, layer_protected: bool) -> Entry {
        let mut key = value.clone();
        let protected = match &mut key {
            Value::Object(m) => match m.remove("@protected") {
                Some(Value::Bool(b)) => b,
                _ => layer_protected,
            },
            _ => layer_protected,
        };
        let next = self.interned.len();
        let same_as = *self.interned.entry(key.to_string()).or_insert(next);
        let def = if term.contains(':') {
            Def::Unsupported
        } else {
            self.def(value).unwrap_or(Def::Unsupported)
        };
        Entry {
            def,
            protected,
            same_as,
        }
    }

    fn def(&mut self, value: &Value) -> Option<Def> {
        let object = match value {
            Value::String(s) if s == "@id" => return Some(Def::IdAlias),
            Value::String(s) if s == "@type" => return Some(Def::TypeAlias),
            Value::String(s) => {
                return Some(Def::Property(Property {
                    iri: absolute(s)?.to_owned(),
                    reverse: false,
                    coercion: Coercion::None,
                    scoped: None,
                }));
            }
            Value::Object(object) => object,
            _ => return None,
        };
        let allowed = [
            "@id",
            "@reverse",
            "@type",
            "@container",
            "@context",
            "@protected",
        ];
        if object.keys().any(|k| !allowed.contains(&k.as_str())) {
            return None;
        }
        if let Some(container) = object.get("@container")
            && container != "@set"
        {
            return None;
        }
        let coercion = match object.get("@type").map(|t| t.as_str()) {
            None => Coercion::None,
            Some(Some("@id")) => Coercion::Id,
            Some(Some("@vocab")) => Coercion::Vocab,
            Some(Some(datatype)) => Coercion::Datatype(self.datatype(absolute(datatype)?)),
            Some(None) => return None,
        };
        let (iri, reverse) = match (object.get("@id"), object.get("@reverse")) {
            (Some(Value::String(id)), None) => (absolute(id)?, false),
            (None, Some(Value::String(reverse))) if coercion == Coercion::None => {
                (absolute(reverse)?, true)
            }
            _ => return None,
        };
        let scoped = match object.get("@context") {
            None => None,
            Some(Value::Object(context)) if !reverse => Some(self.layer(context)?),
            Some(_) => return None,
        };
        Some(Def::Property(Property {
            iri: iri.to_owned(),
            reverse,
            coercion,
            scoped,
        }))
    }

    fn datatype(&mut self, iri: &str) -> usize {
        match self.datatypes.iter().position(|d| d == iri) {
            Some(i) => i,
            None => {
                self.datatypes.push(iri.to_owned());
                self.datatypes.len() - 1
            }
        }
    }
}

/// `iri` if it is an absolute IRI both JSON-LD processors keep exactly as written: an ASCII
/// scheme, then only characters RFC 3986 allows unescaped (no brackets, no user info, a numeric
/// port), at most one `#`, and well-formed `%` escapes. Anything else is `None`: not an error,
/// only not something the direct conversion vouches for.
pub(crate) fn absolute(iri: &str) -> Option<&str> {
    let (scheme, rest) = iri.split_once(':')?;
    let mut chars = scheme.chars();
    if !chars.next()?.is_ascii_alphabetic()
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        || rest.is_empty()
    {
        return None;
    }
    let bytes = rest.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let ok = b.is_ascii_alphanumeric()
            || b"-._~!$&'()*+,;=:@/?#".contains(&b)
            || (b == b'%'
                && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit));
        if !ok {
            return None;
        }
    }
    if rest.bytes().filter(|&b| b == b'#').count() > 1 {
        return None;
    }
    if let Some(after) = rest.strip_prefix("//") {
        let authority = after.split(['/', '?', '#']).next().unwrap_or_default();
        let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
        let host_ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !host_ok || !port.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    Some(iri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pinned_context_is_usable() {
        let t = tables();
        for (url, _, _) in crate::contexts::PINNED {
            assert!(t.roots.contains_key(url), "{url}");
        }
    }

    #[test]
    fn graph_containers_and_json_literals_are_not_modelled() {
        let t = tables();
        let v2 = &t.layers[t.roots[crate::contexts::CREDENTIALS_V2]];
        assert!(matches!(v2.terms["_sd"].def, Def::Unsupported));
        let Def::Property(vc) = &v2.terms["VerifiableCredential"].def else {
            panic!("VerifiableCredential is a class with a scoped context")
        };
        let scoped = &t.layers[vc.scoped.unwrap()];
        assert!(matches!(scoped.terms["proof"].def, Def::Unsupported));
        assert!(matches!(scoped.terms["issuer"].def, Def::Property(_)));
    }

    #[test]
    fn only_plain_absolute_iris_are_vouched_for() {
        for ok in [
            "https://example.org/a/b?c=d#e",
            "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
            "did:key:z6Mk#z6Mk",
            "http://localhost:8080/x%20y",
        ] {
            assert_eq!(absolute(ok), Some(ok));
        }
        for bad in [
            "relative",
            "1http://x",
            "https:",
            "https://ex ample.org",
            "https://[::1]/",
            "https://user@host/",
            "https://host:port/",
            "https://x/#a#b",
            "https://x/%zz",
            "https://exämple.org/",
            "https://x/<y>",
            "https:///path",
        ] {
            assert_eq!(absolute(bad), None, "{bad}");
        }
    }
}
