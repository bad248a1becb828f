//! How `opctl matcher` reports what it checked: for people, or JSON for scripts.

// Printing results is what these commands are for.
#![allow(clippy::print_stdout)]

use anyhow::anyhow;

use crate::Failure;
use crate::settings::Resolved;

pub(crate) fn report(
    settings: &Resolved,
    checked: &op_connector::verify::Checked,
) -> Result<(), Failure> {
    let track_records = op_connector::summary::track_records(&checked.accepted);
    if settings.json {
        let mut report = serde_json::to_value(checked).map_err(|e| Failure::Failed(e.into()))?;
        report["platforms"] =
            serde_json::to_value(op_connector::summary::summarise(&checked.accepted))
                .map_err(|e| Failure::Failed(e.into()))?;
        report["track_records"] =
            serde_json::to_value(&track_records).map_err(|e| Failure::Failed(e.into()))?;
        println!("{report}");
    } else {
        for a in &checked.accepted {
            println!("verified {} {} issued by {}", a.kind, a.url, a.issuer);
        }
        for r in &checked.rejected {
            println!("REJECTED {}: {}", r.url, r.reason);
        }
        println!(
            "{} verified, {} rejected",
            checked.accepted.len(),
            checked.rejected.len()
        );
        for p in op_connector::summary::summarise(&checked.accepted) {
            println!(
                "{}: {} gigs ({} successful), {} to {}",
                p.issuer,
                p.gigs,
                p.successful,
                p.first.as_deref().unwrap_or("?"),
                p.last.as_deref().unwrap_or("?")
            );
            for d in &p.ratings {
                println!(
                    "  {}: {:.0}% over {} ratings (scales {})",
                    d.name,
                    d.mean_normalised * 100.0,
                    d.count,
                    d.scales.join(", ")
                );
            }
        }
        for t in &track_records {
            println!(
                "{} (signed track record): {} gigs ({} successful), {} to {}",
                t.issuer,
                t.completed,
                t.successful,
                t.first.as_deref().unwrap_or("?"),
                t.last.as_deref().unwrap_or("?")
            );
            for r in &t.ratings {
                println!(
                    "  {}: {} on {}–{} over {} ratings",
                    r.name, r.mean, r.worst, r.best, r.count
                );
            }
        }
    }
    if checked.rejected.is_empty() {
        Ok(())
    } else {
        Err(Failure::Failed(anyhow!(
            "{} records failed verification",
            checked.rejected.len()
        )))
    }
}
