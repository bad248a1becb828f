//! `opctl gigdata convert`, `opctl record verify` and what they share with `record sign` and
//! `keys controller`: an export turned into unsigned records, records verified offline or
//! against a hub, controller documents and status lists resolved from files or the hub, and the
//! signer named by `--issuer`, `--method` and `--key`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use op_connector::batch::{self, Layout};
use op_protocol::clock::Clock;
use op_protocol::datetime::DateTime;
use op_protocol::iri::AbsoluteIri;
use op_protocol::proof::{ControllerDocument, Controllers, KeyFile, KeyPair, VerificationMethodId};
use op_protocol::record::{
    ClientData, Credential, Earnings, GigExport, Issuance, RecordStatus, Signer, StatusAllocation,
    StatusCheck, Verifier, convert,
};
use op_protocol::status::StatusLists;
use serde_json::Value;

use crate::{ClientArg, ConvertArgs, Failure, Identity, emit, read, read_batch};

pub(crate) fn convert_export(args: &ConvertArgs, clock: &Clock) -> Result<(), Failure> {
    let usage = |e: anyhow::Error| Failure::Usage(e);
    let list =
        AbsoluteIri::parse("--status-list", &args.status_list).map_err(|e| usage(e.into()))?;
    let valid_from = match &args.valid_from {
        Some(t) => DateTime::parse(t).map_err(|e| usage(e.into()))?,
        None => DateTime::from_unix_millis(clock.now_millis()),
    };
    let mut issuance = Issuance::new(
        &args.platform,
        valid_from,
        StatusAllocation {
            list,
            first_index: args.status_index,
        },
    );
    issuance.subject = args
        .subject
        .as_deref()
        .map(|s| AbsoluteIri::parse("--subject", s))
        .transpose()
        .map_err(|e| usage(e.into()))?;
    issuance.clients = match args.client_data {
        ClientArg::IdOnly => ClientData::IdOnly,
        ClientArg::Full => ClientData::Full,
        ClientArg::Omit => ClientData::Omit,
    };
    if args.omit_earnings {
        issuance.earnings = Earnings::Omit;
    }
    if let Some(path) = &args.skills {
        let map: BTreeMap<String, Vec<String>> =
            serde_json::from_str(&read(path)?).with_context(|| format!("{}", path.display()))?;
        for (kind, iris) in map {
            let iris = iris
                .iter()
                .map(|i| AbsoluteIri::parse("skill", i))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| usage(e.into()))?;
            issuance.skills.insert(kind, iris);
        }
    }
    let export = GigExport::from_json(&read(&args.export)?).map_err(anyhow::Error::from)?;
    let records: Vec<Value> = convert(&export, &issuance)
        .map_err(anyhow::Error::from)?
        .iter()
        .map(Credential::to_json)
        .collect();
    emit(&batch::write(
        if args.lines {
            Layout::Lines
        } else {
            Layout::Array
        },
        &records,
    ))
}

/// Where issuers' controller documents come from besides `did:key`.
pub(crate) struct Resolve<'a> {
    pub(crate) files: &'a [PathBuf],
    pub(crate) hub: Option<&'a str>,
}

/// Controller documents from files, then from the hub for its platforms named as issuers.
pub(crate) fn controllers(resolve: &Resolve<'_>, docs: &[Value]) -> Result<Controllers, Failure> {
    let mut methods = Controllers::new();
    let mut known = std::collections::BTreeSet::new();
    for path in resolve.files {
        let doc: ControllerDocument = serde_json::from_str(&read(path)?)
            .with_context(|| format!("{} is not a controller document", path.display()))
            .map_err(Failure::Usage)?;
        known.insert(doc.id.clone());
        methods = methods.with(doc);
    }
    let Some(hub) = resolve.hub else {
        return Ok(methods);
    };
    let issuers: std::collections::BTreeSet<String> = docs
        .iter()
        .filter_map(|d| d.get("issuer").and_then(Value::as_str))
        .filter(|i| op_connector::hub::is_hub_platform(hub, i) && !known.contains(*i))
        .map(str::to_owned)
        .collect();
    if issuers.is_empty() {
        return Ok(methods);
    }
    let runtime = crate::link::runtime()?;
    let http = op_connector::hub::http_client();
    for issuer in issuers {
        let doc = runtime
            .block_on(op_connector::hub::controller_document(&http, &issuer))
            .map_err(|e| Failure::Failed(anyhow!("cannot resolve issuer {issuer}: {e}")))?;
        methods = methods.with(doc);
    }
    Ok(methods)
}

/// The status list credentials to check against: each `--status-list` (a file, or an http(s) URL
/// fetched), and with a hub, every list the records name where the hub hosts their issuer's lists
/// (`{issuer}/status/{name}`, the same rule as `matcher fetch`: no other address is called).
pub(crate) fn status_lists(
    given: &[String],
    hub: Option<&str>,
    docs: &[Value],
) -> Result<StatusLists, Failure> {
    let mut urls: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut lists = StatusLists::new();
    for arg in given {
        if arg.starts_with("https://") || arg.starts_with("http://") {
            urls.insert(arg.clone());
            continue;
        }
        let list: Value = serde_json::from_str(&read(Path::new(arg))?)
            .with_context(|| format!("{arg} is not JSON"))
            .map_err(Failure::Usage)?;
        lists = lists.with(list);
    }
    if let Some(hub) = hub {
        urls.extend(docs.iter().filter_map(|d| {
            let issuer = d.get("issuer").and_then(Value::as_str)?;
            let url = d
                .pointer("/credentialStatus/statusListCredential")?
                .as_str()?;
            let hosted = op_connector::hub::is_hub_platform(hub, issuer)
                && op_connector::verify::is_hosted_list(issuer, url);
            hosted.then(|| url.to_owned())
        }));
    }
    if urls.is_empty() {
        return Ok(lists);
    }
    let runtime = crate::link::runtime()?;
    let http = op_connector::hub::http_client();
    for url in urls {
        let list: Value = runtime
            .block_on(async {
                let res = http.get(&url).send().await?.error_for_status()?;
                res.json().await
            })
            .map_err(|e| Failure::Failed(anyhow!("cannot fetch the status list {url}: {e}")))?;
        lists = lists.with(list);
    }
    Ok(lists)
}

pub(crate) fn verify_records(
    input: &Path,
    resolve: &Resolve<'_>,
    given_lists: &[String],
    skip_status: bool,
    clock: &Clock,
) -> Result<(), Failure> {
    let (_, docs) = read_batch(input)?;
    let methods = controllers(resolve, &docs)?;
    let lists = if skip_status {
        StatusLists::new()
    } else {
        status_lists(given_lists, resolve.hub, &docs)?
    };
    let status = if skip_status {
        StatusCheck::Skip
    } else {
        StatusCheck::Required(&lists)
    };
    let verifier = Verifier {
        methods: &methods,
        status,
        clock,
    };
    let mut report = String::new();
    let mut all_valid = true;
    for (i, doc) in docs.iter().enumerate() {
        let id = doc.get("id").and_then(Value::as_str).unwrap_or("(no id)");
        let line = match verifier.verify(doc) {
            Ok(v) if v.is_valid() => {
                let note = if v.status == RecordStatus::NotChecked {
                    " (status not checked)"
                } else {
                    ""
                };
                format!(
                    "valid    {id} {} issued by {}{note}",
                    v.record.kind(),
                    v.issuer
                )
            }
            Ok(v) => {
                all_valid = false;
                format!("invalid  {id}: {:?} by its issuer {}", v.status, v.issuer)
            }
            Err(e) => {
                all_valid = false;
                format!("invalid  {id} (document {}): {e}", i + 1)
            }
        };
        report.push_str(&line);
        report.push('\n');
    }
    emit(&report)?;
    if all_valid {
        Ok(())
    } else {
        Err(Failure::Failed(anyhow!(
            "{} record(s) did not verify",
            report.lines().filter(|l| l.starts_with("invalid")).count()
        )))
    }
}

pub(crate) fn signer(identity: &Identity) -> Result<Signer, Failure> {
    let key = key_of(&identity.key)?;
    let Some(issuer) = &identity.issuer else {
        return Ok(Signer::did_key(key));
    };
    let usage = |e: anyhow::Error| Failure::Usage(e);
    let issuer = AbsoluteIri::parse("--issuer", issuer).map_err(|e| usage(e.into()))?;
    let method = match &identity.method {
        Some(m) => m.clone(),
        None => format!("{issuer}#{}", key.public().to_multibase()),
    };
    let method = VerificationMethodId::parse(&method).map_err(|e| usage(e.into()))?;
    Ok(Signer::new(key, issuer, method))
}

pub(crate) fn key_of(path: &Path) -> Result<KeyPair, Failure> {
    let file: KeyFile = serde_json::from_str(&read(path)?)
        .with_context(|| format!("{} is not a key file", path.display()))
        .map_err(Failure::Usage)?;
    file.key_pair()
        .with_context(|| format!("{}", path.display()))
        .map_err(Failure::Usage)
}
