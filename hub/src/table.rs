//! Typed tables over the shared key space: each record type has a one-byte prefix and is stored
//! as JSON, so every module reads and writes its records the same way.

use op_store::{ScanFrom, Store, StoreError, Tx};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A table of JSON records of type `T` under a one-byte key prefix.
#[derive(Debug)]
pub struct Table<T> {
    prefix: u8,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: Serialize + DeserializeOwned> Table<T> {
    /// A table under `prefix`; prefixes must be unique across the hub (the tidy test checks).
    pub const fn new(prefix: u8) -> Self {
        Table {
            prefix,
            _t: std::marker::PhantomData,
        }
    }

    /// The storage key of `id`.
    pub fn key(&self, id: &str) -> Vec<u8> {
        let mut k = Vec::with_capacity(1 + id.len());
        k.push(self.prefix);
        k.extend_from_slice(id.as_bytes());
        k
    }

    /// Reads a committed record.
    pub fn get(&self, store: &Store, id: &str) -> Result<Option<T>, StoreError> {
        Ok(store
            .get(&self.key(id))?
            .and_then(|b| serde_json::from_slice(&b).ok()))
    }

    /// Reads a record inside a write.
    pub fn get_tx(&self, tx: &Tx<'_>, id: &str) -> Result<Option<T>, StoreError> {
        Ok(tx
            .get(&self.key(id))?
            .and_then(|b| serde_json::from_slice(&b).ok()))
    }

    /// Writes a record inside a write.
    pub fn put(&self, tx: &mut Tx<'_>, id: &str, value: &T) {
        tx.put(
            self.key(id),
            serde_json::to_vec(value).expect("records serialise"),
        );
    }

    /// Removes a record inside a write.
    pub fn remove(&self, tx: &mut Tx<'_>, id: &str) {
        tx.remove(self.key(id));
    }

    /// Up to `limit` records whose id starts with `id_prefix`, in id order, after `after`.
    pub fn scan(
        &self,
        store: &Store,
        id_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, T)>, StoreError> {
        let prefix = self.key(id_prefix);
        let after_key = after.map(|a| self.key(a));
        let from = after_key
            .as_deref()
            .map_or(ScanFrom::Start, ScanFrom::After);
        Ok(store
            .scan(&prefix, from, limit)?
            .into_iter()
            .filter_map(|(k, v)| {
                let id = String::from_utf8(k[1..].to_vec()).ok()?;
                Some((id, serde_json::from_slice(&v).ok()?))
            })
            .collect())
    }
}
