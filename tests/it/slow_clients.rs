//! Slow and half-open connections (docs/RELIABILITY.md, "Faults"): hundreds of connections that
//! send nothing, and dozens that trickle a request head a byte at a time, do not keep the hub or
//! the pod server from answering everyone else, and the servers close them on their own instead
//! of holding them (and their memory) for ever.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::stack::Stack;

/// Connections that send nothing at all.
const SILENT: usize = 400;
/// Connections that trickle a request head one byte at a time.
const TRICKLING: usize = 40;
/// How long a server may keep a stalled connection: actix-web's request-head timeout (5 s) and
/// disconnect grace, with room for a loaded machine.
const SHED_WITHIN: Duration = Duration::from_secs(30);

/// Opens `n` connections to `addr` that send nothing.
async fn silent(addr: std::net::SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    held
}

/// A connection that sends `GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ` and then one byte every
/// 200 ms, never finishing; returns when the server closes it (or after `SHED_WITHIN`).
async fn trickle(addr: std::net::SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return true;
    };
    if stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .is_err()
    {
        return true;
    }
    let deadline = tokio::time::Instant::now() + SHED_WITHIN;
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if stream.write_all(b"a").await.is_err() {
            return true;
        }
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(1), stream.read(&mut buf)).await {
            // The server answered (a 408) or closed the connection: shed.
            Ok(Ok(_)) | Ok(Err(_)) => return true,
            Err(_) => {}
        }
    }
    false
}

/// Whether the server has closed `stream` (end of file or a reset) within `SHED_WITHIN`.
async fn closed_by_server(mut stream: TcpStream) -> bool {
    let mut buf = [0u8; 512];
    let deadline = tokio::time::Instant::now() + SHED_WITHIN;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // A 408 before closing is fine: keep reading to the end.
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn stalled_connections_neither_block_others_nor_stay_open() {
    let stack = Stack::start().await;
    let hub_addr: std::net::SocketAddr =
        stack.issuer.trim_start_matches("http://").parse().unwrap();
    let pod_addr: std::net::SocketAddr = stack
        .pod_base
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let mut held = Vec::new();
    let mut trickling = Vec::new();
    for addr in [hub_addr, pod_addr] {
        held.push((addr, silent(addr, SILENT).await));
        for _ in 0..TRICKLING {
            trickling.push(tokio::spawn(trickle(addr)));
        }
    }

    // Everyone else is still answered, by both servers.
    for _ in 0..20 {
        let discovery = stack
            .http
            .get(format!(
                "{}{}",
                stack.issuer,
                op_protocol::routes::HUB_OIDC_DISCOVERY
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(discovery.status(), 200);
        let profile = stack
            .http
            .get(format!("{}profile/card", stack.pod_root("nobody")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            profile.status(),
            404,
            "the pod server answers (no such pod)"
        );
    }

    // And the stalled connections are shed by the servers themselves.
    for (addr, streams) in held {
        let watching: Vec<_> = streams
            .into_iter()
            .map(|s| tokio::spawn(closed_by_server(s)))
            .collect();
        let mut open = 0;
        for watch in watching {
            open += usize::from(!watch.await.unwrap());
        }
        assert_eq!(open, 0, "{open} silent connections to {addr} still open");
    }
    let mut open = 0;
    for trickle in trickling {
        open += usize::from(!trickle.await.unwrap());
    }
    assert_eq!(open, 0, "{open} trickling connections still open");
    stack.stop().await;
}
