//! The direct JSON → RDF conversion: JSON-LD to RDF for the documents records and proofs are
//! made of, over the pinned contexts only, without a JSON-LD processor.
//!
//! It follows the JSON-LD 1.1 expansion and RDF serialisation algorithms for the subset it
//! models — terms from [`super::terms`], type-scoped contexts that do not propagate to nested
//! nodes, property-scoped ones that do, `@reverse`, coerced and native values — and declines
//! (returns `None`) on everything else: a context it does not know or that redefines a protected
//! term, a key starting with `@` (an inner `@context`, `@value`, `@graph`, ...), an undefined or
//! unmodelled term, a string that is not a plain absolute IRI where an IRI is expected (relative
//! references, compact IRIs, blank node identifiers), `null`, empty arrays and objects, nested
//! arrays, numbers that are not integers, and nesting deeper than [`MAX_DEPTH`]. The caller then
//! runs the general processor, so declining is always safe; producing a different dataset is not,
//! and `protocol/tests/direct_rdf.rs` checks on every W3C vector, every record the converter
//! makes and generated records that the canonical N-Quads are the same byte for byte.

use std::collections::HashSet;

use serde_json::{Map, Value};
use sophia_api::MownStr;
use sophia_api::term::{BnodeId, IriRef, SimpleTerm};

use super::canon::Quad;
use super::terms::{Coercion, Def, Property, Tables, absolute, tables};

/// How deep a document may nest before the direct conversion leaves it to the general one.
pub const MAX_DEPTH: usize = 32;

/// The most context layers (document contexts, scoped contexts) active at one node.
const MAX_LAYERS: usize = 8;

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const XSD_STRING: &str = "http://www.w3.org/2001/XMLSchema#string";
const XSD_BOOLEAN: &str = "http://www.w3.org/2001/XMLSchema#boolean";
const XSD_INTEGER: &str = "http://www.w3.org/2001/XMLSchema#integer";
const XSD_DOUBLE: &str = "http://www.w3.org/2001/XMLSchema#double";

/// The RDF dataset of `document`, or `None` if the direct conversion does not handle it.
pub fn to_rdf(document: &Value) -> Option<HashSet<Quad>> {
    let tables = tables();
    let object = document.as_object()?;
    let mut active = Active::default();
    let urls = match object.get("@context")? {
        one @ Value::String(_) => std::slice::from_ref(one),
        Value::Array(urls) => urls.as_slice(),
        _ => return None,
    };
    for url in urls {
        let layer = *tables.roots.get(url.as_str()?)?;
        active = active.push_checked(tables, layer)?;
    }
    let mut out = Output {
        tables,
        quads: HashSet::new(),
        blanks: 0,
    };
    if !object
        .keys()
        .any(|k| k != "@context" && !is_id(tables, &active, k))
    {
        // A top-level node with nothing but an id is dropped by JSON-LD ("free-floating").
        return None;
    }
    out.node(object, active, None, 0)?;
    Some(out.quads)
}

fn is_id(tables: &Tables, active: &Active, key: &str) -> bool {
    matches!(active.lookup(tables, key), Some(Def::IdAlias))
}

/// The active context: a stack of layers, looked up from the top, and the depth to go back to
/// when entering a nested node (type-scoped contexts do not propagate).
#[derive(Debug, Clone, Copy, Default)]
struct Active {
    layers: [usize; MAX_LAYERS],
    len: usize,
    revert_to: Option<usize>,
}

impl Active {
    fn lookup<'t>(&self, tables: &'t Tables, term: &str) -> Option<&'t Def> {
        self.entry(tables, term).map(|e| &e.def)
    }

    fn entry<'t>(&self, tables: &'t Tables, term: &str) -> Option<&'t super::terms::Entry> {
        self.layers[..self.len]
            .iter()
            .rev()
            .find_map(|&l| tables.layers[l].terms.get(term))
    }

    fn vocab<'t>(&self, tables: &'t Tables) -> Option<&'t str> {
        self.layers[..self.len]
            .iter()
            .rev()
            .find_map(|&l| tables.layers[l].vocab.as_deref())
    }

    fn push(mut self, layer: usize) -> Option<Self> {
        if self.len == MAX_LAYERS {
            return None;
        }
        self.layers[self.len] = layer;
        self.len += 1;
        Some(self)
    }

    /// Pushes a layer the way a document or type-scoped context is processed: redefining a
    /// protected term differently is an error for JSON-LD, so a decline here.
    fn push_checked(self, tables: &Tables, layer: usize) -> Option<Self> {
        for (term, entry) in &tables.layers[layer].terms {
            if let Some(previous) = self.entry(tables, term)
                && previous.protected
                && previous.same_as != entry.same_as
            {
                return None;
            }
        }
        self.push(layer)
    }
}

struct Output {
    tables: &'static Tables,
    quads: HashSet<Quad>,
    blanks: usize,
}

impl Output {
    /// Converts one node object and returns its subject.
    fn node(
        &mut self,
        object: &Map<String, Value>,
        mut active: Active,
        property_scoped: Option<usize>,
        depth: usize,
    ) -> Option<SimpleTerm<'static>> {
        let t = self.tables;
        if depth > MAX_DEPTH || object.is_empty() {
            return None;
        }
        if let Some(len) = active.revert_to.take() {
            active.len = len;
        }
        if let Some(layer) = property_scoped {
            active = active.push(layer)?;
        }
        let (mut id_key, mut type_key) = (None, None);
        let mut types: Vec<&str> = Vec::new();
        for (key, value) in object {
            if key.starts_with('@') {
                if depth == 0 && key == "@context" {
                    continue;
                }
                return None;
            }
            match active.lookup(t, key) {
                Some(Def::IdAlias) if id_key.is_none() => id_key = Some((key, value.as_str()?)),
                Some(Def::TypeAlias) if type_key.is_none() => {
                    type_key = Some(key);
                    match value {
                        Value::String(s) => types.push(s),
                        Value::Array(a) if !a.is_empty() => {
                            for v in a {
                                types.push(v.as_str()?);
                            }
                        }
                        _ => return None,
                    }
                }
                Some(Def::IdAlias | Def::TypeAlias) => return None,
                _ => {}
            }
        }
        let subject = match id_key {
            Some((_, id)) => iri(t.document_iri(id)?.to_owned().into()),
            None => self.blank(),
        };
        // Types are expanded with the context before their own scoped contexts, which are then
        // applied in the lexicographic order of the type values.
        types.sort_unstable();
        let before_types = active;
        for ty in &types {
            let (type_iri, scoped) = vocab_iri(t, &before_types, ty)?;
            if let Some(layer) = scoped {
                let revert = active.revert_to.unwrap_or(active.len);
                active = active.push_checked(t, layer)?;
                active.revert_to = Some(revert);
            }
            self.quad(subject.clone(), iri(RDF_TYPE.into()), iri(type_iri));
        }
        for (key, value) in object {
            if depth == 0 && key == "@context" {
                continue;
            }
            let is_id = id_key.is_some_and(|(k, _)| k == key);
            let is_type = type_key == Some(key);
            let property = match active.lookup(t, key) {
                Some(Def::IdAlias) if is_id => continue,
                Some(Def::TypeAlias) if is_type => continue,
                _ if is_id || is_type => return None,
                Some(Def::Property(p)) => Prop::Defined(p),
                None if is_simple(key) => Prop::Vocab(format!("{}{key}", active.vocab(t)?)),
                _ => return None,
            };
            let values = match value {
                Value::Array(a) if a.is_empty() => return None,
                Value::Array(a) => a.as_slice(),
                one => std::slice::from_ref(one),
            };
            for value in values {
                self.value(&subject, &property, value, active, depth)?;
            }
        }
        Some(subject)
    }

    /// Converts one value of `property` on `subject`.
    fn value(
        &mut self,
        subject: &SimpleTerm<'static>,
        property: &Prop<'static>,
        value: &Value,
        active: Active,
        depth: usize,
    ) -> Option<()> {
        let t = self.tables;
        let (predicate, coercion, reverse, scoped) = match property {
            Prop::Defined(p) => (iri(p.iri.as_str().into()), p.coercion, p.reverse, p.scoped),
            Prop::Vocab(i) => (iri(i.clone().into()), Coercion::None, false, None),
        };
        let datatype = |fallback: &'static str| match coercion {
            Coercion::Datatype(d) => t.datatypes[d].as_str(),
            _ => fallback,
        };
        let object = match (value, coercion) {
            (Value::Object(node), Coercion::None | Coercion::Id) => {
                let node = self.node(node, active, scoped, depth + 1)?;
                if reverse {
                    self.quad(node, predicate, subject.clone());
                    return Some(());
                }
                node
            }
            _ if reverse => return None,
            (Value::String(s), Coercion::None | Coercion::Datatype(_)) => {
                literal(s.clone(), datatype(XSD_STRING))
            }
            (Value::String(s), Coercion::Id) => iri(t.document_iri(s)?.to_owned().into()),
            (Value::String(s), Coercion::Vocab) => {
                let active = match scoped {
                    Some(layer) => active.push(layer)?,
                    None => active,
                };
                iri(vocab_iri(t, &active, s)?.0)
            }
            (Value::Bool(b), Coercion::None | Coercion::Datatype(_)) => {
                literal(b.to_string(), datatype(XSD_BOOLEAN))
            }
            (Value::Number(n), Coercion::None | Coercion::Datatype(_)) => {
                let text = n.to_string();
                // Only integers written canonically: JSON-LD writes other numbers as doubles.
                if text.parse::<i64>().ok()?.to_string() != text
                    || datatype(XSD_INTEGER) == XSD_DOUBLE
                {
                    return None;
                }
                literal(text, datatype(XSD_INTEGER))
            }
            _ => return None,
        };
        self.quad(subject.clone(), predicate, object);
        Some(())
    }

    fn blank(&mut self) -> SimpleTerm<'static> {
        self.blanks += 1;
        SimpleTerm::BlankNode(BnodeId::new_unchecked(format!("b{}", self.blanks).into()))
    }

    fn quad(&mut self, s: SimpleTerm<'static>, p: SimpleTerm<'static>, o: SimpleTerm<'static>) {
        self.quads.insert(([s, p, o], None));
    }
}

/// A type or `@vocab`-coerced value: a term of `active` (with its scoped context), or the
/// vocabulary mapping followed by a simple name. IRIs and compact IRIs are declined.
fn vocab_iri(
    t: &'static Tables,
    active: &Active,
    value: &str,
) -> Option<(MownStr<'static>, Option<usize>)> {
    match active.lookup(t, value) {
        Some(Def::Property(Property {
            iri,
            reverse: false,
            scoped,
            ..
        })) => Some((iri.as_str().into(), *scoped)),
        Some(_) => None,
        None if is_simple(value) => Some((format!("{}{value}", active.vocab(t)?).into(), None)),
        None => None,
    }
}

enum Prop<'t> {
    Defined(&'t Property),
    Vocab(String),
}

impl Tables {
    /// `value` as an IRI where JSON-LD expands it relative to the document: only a plain
    /// absolute IRI whose scheme is no term (which would make it a compact IRI).
    fn document_iri<'v>(&self, value: &'v str) -> Option<&'v str> {
        let scheme = value.split_once(':')?.0;
        if scheme == "_" || self.names.contains(scheme) {
            return None;
        }
        absolute(value)
    }
}

fn is_simple(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn iri(value: MownStr<'static>) -> SimpleTerm<'static> {
    SimpleTerm::Iri(IriRef::new_unchecked(value))
}

fn literal(value: String, datatype: &'static str) -> SimpleTerm<'static> {
    SimpleTerm::LiteralDatatype(value.into(), IriRef::new_unchecked(datatype.into()))
}
