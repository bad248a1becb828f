//! Taking one's data out: every resource in the worker's pod, exactly as stored, plus a readable
//! CV of the records the worker selects, in one zip file.

use crate::backpack::{Folder, Item};
use crate::state::Hub;
use op_protocol::record::Verdict;

/// A minimal zip writer: entries stored uncompressed (RDF is small, and every unzip reads it).
#[derive(Debug, Default)]
pub struct Zip {
    out: Vec<u8>,
    central: Vec<u8>,
    count: u16,
}

impl Zip {
    /// Adds a file.
    pub fn add(&mut self, name: &str, data: &[u8]) {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let (crc, size, offset) = (crc.sum(), data.len() as u32, self.out.len() as u32);
        let name = name.as_bytes();
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // version needed
            h.extend_from_slice(&0x0800u16.to_le_bytes()); // flags: UTF-8 names
            h.extend_from_slice(&0u16.to_le_bytes()); // stored
            h.extend_from_slice(&0u32.to_le_bytes()); // time and date
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                h.extend_from_slice(&0u16.to_le_bytes()); // comment
                h.extend_from_slice(&0u16.to_le_bytes()); // disk
                h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
                h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name);
            h
        };
        self.out.extend(header(0x0403_4b50, false));
        self.out.extend_from_slice(data);
        self.central.extend(header(0x0201_4b50, true));
        self.count += 1;
    }

    /// The finished archive.
    pub fn finish(mut self) -> Vec<u8> {
        let offset = self.out.len() as u32;
        let size = self.central.len() as u32;
        self.out.extend_from_slice(&self.central);
        self.out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        self.out.extend_from_slice(&[0, 0, 0, 0]);
        self.out.extend_from_slice(&self.count.to_le_bytes());
        self.out.extend_from_slice(&self.count.to_le_bytes());
        self.out.extend_from_slice(&size.to_le_bytes());
        self.out.extend_from_slice(&offset.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes());
        self.out
    }
}

/// Every resource of the pod, as `(path inside the pod, stored bytes)`, walking containers.
pub async fn pod_files(hub: &Hub, webid: &str, root: &str) -> Vec<(String, Vec<u8>)> {
    let token = crate::provider::dashboard_token(hub, webid, root);
    let mut files = Vec::new();
    let mut queue = vec![root.to_owned()];
    while let Some(url) = queue.pop() {
        if files.len() > 10_000 {
            break;
        }
        let accept = if url.ends_with('/') {
            "text/turtle"
        } else {
            "*/*"
        };
        let Ok(res) = hub
            .http
            .get(&url)
            .bearer_auth(&token)
            .header("Accept", accept)
            .send()
            .await
        else {
            continue;
        };
        if !res.status().is_success() {
            continue;
        }
        let Ok(bytes) = res.bytes().await else {
            continue;
        };
        let path = url.strip_prefix(root).unwrap_or(&url).to_owned();
        if url.ends_with('/') {
            let text = String::from_utf8_lossy(&bytes);
            for line in text.lines().filter(|l| l.contains("ldp#contains")) {
                if let Some(child) = line.rsplit('<').next().and_then(|c| c.split('>').next()) {
                    queue.push(format!("{url}{child}"));
                }
            }
            let name = if path.is_empty() {
                "index.ttl".to_owned()
            } else {
                format!("{path}index.ttl")
            };
            files.push((name, bytes.to_vec()));
        } else {
            files.push((path, bytes.to_vec()));
        }
    }
    files
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A self-contained HTML CV of the selected records: verified ones, and records of uncertified
/// platforms only when the worker ticked them, each marked as such. Nothing else ever enters it.
pub fn cv(name: &str, webid: &str, folders: &[Folder], selected: &dyn Fn(&Item) -> bool) -> String {
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0} — work history</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;line-height:1.5}}.n{{color:#555}}</style></head>\
<body><h1>{0}</h1><p class=\"n\">WebID: {1}. Every record below is signed by the platform that issued it; \
verify it with any eddsa-rdfc-2022 verifier (the signed originals are in this archive).</p>",
        escape(name),
        escape(webid)
    );
    for folder in folders {
        let items: Vec<&Item> = folder
            .items
            .iter()
            .filter(|i| {
                matches!(
                    i.verdict,
                    Verdict::Verified { .. } | Verdict::Uncertified { .. }
                ) && selected(i)
            })
            .collect();
        if items.is_empty() {
            continue;
        }
        html.push_str(&format!("<h2>{}</h2><ul>", escape(&folder.platform)));
        for item in items {
            let when = item.when.as_deref().and_then(|w| w.get(..10)).unwrap_or("");
            let ratings: Vec<String> = item
                .ratings
                .iter()
                .map(|(n, v, lo, hi)| format!("{} {v} ({lo}–{hi})", escape(n)))
                .collect();
            let standing = match &item.verdict {
                Verdict::Uncertified { platform } => {
                    format!(" — signed by {platform}, not certified by the hub")
                }
                _ => String::new(),
            };
            html.push_str(&format!(
                "<li><strong>{}</strong> <span class=\"n\">{} {}{}</span>{}</li>",
                escape(&item.title),
                escape(&item.kind),
                escape(when),
                escape(&standing),
                if ratings.is_empty() {
                    String::new()
                } else {
                    format!("<br>{}", ratings.join(", "))
                }
            ));
        }
        html.push_str("</ul>");
    }
    html.push_str("</body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zip_has_every_entry_with_its_crc() {
        let mut zip = Zip::default();
        zip.add("a.ttl", b"<a> <b> <c> .");
        zip.add("dir/b.json", b"{}");
        let bytes = zip.finish();
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        let end = bytes.len() - 22;
        assert_eq!(&bytes[end..end + 4], b"PK\x05\x06");
        assert_eq!(u16::from_le_bytes([bytes[end + 10], bytes[end + 11]]), 2);
        let mut crc = flate2::Crc::new();
        crc.update(b"<a> <b> <c> .");
        assert_eq!(&bytes[14..18], &crc.sum().to_le_bytes());
    }
}
