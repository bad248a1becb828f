//! The solutions of a patch's where clause: a backtracking search over the document's default
//! graph, bounded by a budget of matching steps so a patch of free variables cannot run away.

use sophia_api::term::{SimpleTerm, Term};

use super::{Bindings, PatchError, Pattern};

/// Backtracking search for solutions of `solid:where`, with a budget of matching steps.
pub(super) struct Search<'a> {
    data: &'a [&'a Pattern],
    steps_left: u64,
    max_steps: u64,
    limit: usize,
}

impl<'a> Search<'a> {
    /// A search over `data` that stops at `limit` solutions or after `max_steps` matching steps.
    pub(super) fn new(data: &'a [&'a Pattern], max_steps: u64, limit: usize) -> Self {
        Search {
            data,
            steps_left: max_steps,
            max_steps,
            limit,
        }
    }

    /// Finds up to `limit` solutions of `patterns`, extending `bindings`.
    pub(super) fn solve(
        &mut self,
        patterns: &[Pattern],
        bindings: Bindings,
    ) -> Result<Vec<Bindings>, PatchError> {
        let Some((first, rest)) = patterns.split_first() else {
            return Ok(vec![bindings]);
        };
        let mut out = Vec::new();
        for triple in self.data {
            self.steps_left = self
                .steps_left
                .checked_sub(1)
                .ok_or(PatchError::TooComplex(self.max_steps))?;
            let mut b = bindings.clone();
            if first
                .iter()
                .zip(triple.iter())
                .all(|(p, t)| unify(p, t, &mut b))
            {
                out.extend(self.solve(rest, b)?);
                if out.len() >= self.limit {
                    break;
                }
            }
        }
        Ok(out)
    }
}

/// Whether `term` fits `pattern` under `b`, binding a free variable if it is one.
fn unify(pattern: &SimpleTerm<'static>, term: &SimpleTerm<'static>, b: &mut Bindings) -> bool {
    match pattern.variable() {
        Some(v) => match b.get(v.as_str()) {
            Some(bound) => bound == term,
            None => {
                b.insert(v.as_str().to_owned(), term.clone());
                true
            }
        },
        None => pattern == term,
    }
}

/// The triple `pattern` stands for once its variables take their values in `b`.
pub(super) fn instantiate(pattern: &Pattern, b: &Bindings) -> Pattern {
    pattern.clone().map(|t| {
        let bound = t.variable().and_then(|v| b.get(v.as_str()).cloned());
        bound.unwrap_or(t)
    })
}
