//! Taking one's data out: every resource in the worker's pod, exactly as stored, plus a readable
//! CV of the records the worker selects, in one zip file.

use crate::backpack::{Folder, Item};
use maud::{DOCTYPE, Markup, html};
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

/// The zip entry of a pod file: documents under their path, a container's listing as
/// `{path}index.jsonld`.
pub fn entry_name(file: &crate::pod_files::PodFile) -> String {
    if file.is_container() {
        format!("pod/{}index.jsonld", file.path)
    } else {
        format!("pod/{}", file.path)
    }
}

/// The records of `folder` that enter the CV: verified ones, and those of uncertified platforms
/// the worker selected.
fn cv_items<'a>(folder: &'a Folder, selected: &dyn Fn(&Item) -> bool) -> Vec<&'a Item> {
    folder
        .items
        .iter()
        .filter(|i| {
            matches!(
                i.verdict,
                Verdict::Verified { .. } | Verdict::Uncertified { .. }
            ) && selected(i)
        })
        .collect()
}

/// One record's line in the CV.
fn cv_item(item: &Item) -> Markup {
    let when = item.when.as_deref().and_then(|w| w.get(..10)).unwrap_or("");
    let ratings: Vec<String> = item
        .ratings
        .iter()
        .map(|(n, v, lo, hi)| format!("{n} {v} ({lo}–{hi})"))
        .collect();
    html! {
        li {
            strong { (item.title) }
            " "
            span.n {
                (item.kind) " " (when)
                @if let Verdict::Uncertified { platform } = &item.verdict {
                    " — signed by " (platform) ", not certified by the hub"
                }
            }
            @if !ratings.is_empty() {
                br;
                (ratings.join(", "))
            }
        }
    }
}

/// A self-contained HTML CV of the selected records: verified ones, and records of uncertified
/// platforms only when the worker ticked them, each marked as such. Nothing else ever enters it.
pub fn cv(name: &str, webid: &str, folders: &[Folder], selected: &dyn Fn(&Item) -> bool) -> String {
    let style = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;line-height:1.5}.n{color:#555}";
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (name) " — work history" }
                style { (style) }
            }
            body {
                h1 { (name) }
                p.n {
                    "WebID: " (webid) ". Every record below is signed by the platform that issued it; \
                     verify it with any eddsa-rdfc-2022 verifier (the signed originals are in this archive)."
                }
                @for folder in folders {
                    @let items = cv_items(folder, selected);
                    @if !items.is_empty() {
                        h2 { (folder.platform) }
                        ul { @for item in items { (cv_item(item)) } }
                    }
                }
            }
        }
    };
    page.into_string() + "\n"
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

    #[test]
    fn the_cv_escapes_what_records_say() {
        let item = Item {
            url: "https://pods.example/alice/gigs/acme/1".into(),
            kind: "gig".into(),
            title: "<script>alert(1)</script>".into(),
            when: Some("2026-01-02T10:00:00Z".into()),
            ratings: vec![("stars & more".into(), 4.0, 1.0, 5.0)],
            verdict: Verdict::Uncertified {
                platform: "\"acme\"".into(),
            },
        };
        let folders = [Folder {
            platform: "acme".into(),
            items: vec![item],
        }];
        let html = cv("<b>alice</b>", "https://x/#me", &folders, &|_| true);
        assert!(
            html.starts_with("<!DOCTYPE html><html lang=\"en\">"),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("<h1>&lt;b&gt;alice&lt;/b&gt;</h1>"), "{html}");
        assert!(html.contains("stars &amp; more 4 (1–5)"), "{html}");
        assert!(
            html.contains("signed by &quot;acme&quot;, not certified by the hub"),
            "{html}"
        );
        assert!(!cv("a", "w", &folders, &|_| false).contains("<li>"));
    }
}
