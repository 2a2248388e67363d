//! Load: a thousand concurrent WebSocket sessions over HTTP/1.1 and over HTTP/2 echo
//! numbered messages with nothing lost, duplicated or reordered; thousands of idle TCP
//! connections cost bounded memory and are closed by the header-read timeout.
//!
//! The tests share one process (its descriptors and its RSS), so they take turns.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss
)]

mod support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use stator_tokio::{CloseCode, Server};
use support::{H2Ws, Seen, alive_tasks, fd_limit, rss_bytes, wait_until};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::{Barrier, Mutex};
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message as TMessage;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as TCloseCode;

/// One heavy test at a time.
static HEAVY: Mutex<()> = Mutex::const_new(());

const SESSIONS: usize = 1_000;
const MESSAGES: usize = 20;
const LIMIT: Duration = Duration::from_secs(60);

fn numbered(session: usize, k: usize) -> String {
    format!("session {session} message {k}")
}

/// Waits for `SESSIONS` disconnect reports; all must be a normal close.
async fn expect_clean_ends(seen: &mut tokio::sync::mpsc::UnboundedReceiver<Seen>) {
    for _ in 0..SESSIONS {
        let event = timeout(Duration::from_secs(10), seen.recv())
            .await
            .expect("every session ends")
            .unwrap();
        assert_eq!(event, Seen::WsEnd(CloseCode::NORMAL));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_websockets_over_http1() {
    let _heavy = HEAVY.lock().await;
    timeout(LIMIT, async {
        let mut server = support::start(Server::builder().max_connections(20_000)).await;
        let addr = server.addr;
        let started = Instant::now();
        let barrier = Arc::new(Barrier::new(SESSIONS));
        let mut clients = JoinSet::new();
        for i in 0..SESSIONS {
            let barrier = Arc::clone(&barrier);
            clients.spawn(async move {
                let tcp = TcpStream::connect(addr).await.unwrap();
                let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/ws"), tcp)
                    .await
                    .unwrap();
                // Every session is open before any sends.
                barrier.wait().await;
                for k in 0..MESSAGES {
                    ws.send(TMessage::text(numbered(i, k))).await.unwrap();
                }
                for k in 0..MESSAGES {
                    let echoed = loop {
                        match ws.next().await.unwrap().unwrap() {
                            TMessage::Text(t) => break t,
                            TMessage::Ping(_) | TMessage::Pong(_) => {}
                            other => panic!("session {i}: unexpected {other:?}"),
                        }
                    };
                    assert_eq!(echoed.as_str(), numbered(i, k), "session {i}");
                }
                ws.close(Some(CloseFrame {
                    code: TCloseCode::Normal,
                    reason: "done".into(),
                }))
                .await
                .unwrap();
                // Drain to the server's close echo and the end of the stream.
                while let Some(Ok(m)) = ws.next().await {
                    assert!(matches!(m, TMessage::Close(_)), "session {i}: {m:?}");
                }
            });
        }
        while let Some(done) = clients.join_next().await {
            done.unwrap();
        }
        let echoed = started.elapsed();
        expect_clean_ends(&mut server.tally.seen).await;
        assert!(
            wait_until(Duration::from_secs(10), || server
                .tally
                .live
                .load(Ordering::SeqCst)
                == 0)
            .await
        );
        let peak = server.tally.peak.load(Ordering::SeqCst);
        println!(
            "HTTP/1.1: {SESSIONS} WebSockets × {MESSAGES} messages echoed in {echoed:?}; \
             peak live sessions {peak}"
        );
        assert_eq!(peak, SESSIONS);
        server.shutdown.shutdown();
    })
    .await
    .expect("in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_websockets_over_http2() {
    const CONNECTIONS: usize = 10;
    const STREAMS: usize = SESSIONS / CONNECTIONS;
    let _heavy = HEAVY.lock().await;
    timeout(LIMIT, async {
        let mut server = support::start(Server::builder()).await;
        let started = Instant::now();
        let barrier = Arc::new(Barrier::new(SESSIONS));
        let mut clients = JoinSet::new();
        let mut connections = Vec::new();
        for c in 0..CONNECTIONS {
            let (client, task) = support::h2_client(server.addr).await;
            connections.push(task);
            for s in 0..STREAMS {
                let i = c * STREAMS + s;
                let client = client.clone();
                let barrier = Arc::clone(&barrier);
                clients.spawn(async move {
                    let mut ws = H2Ws::open(&client, i as u64).await;
                    drop(client);
                    barrier.wait().await;
                    for k in 0..MESSAGES {
                        ws.send(&stator_tokio::Message::text(numbered(i, k))).await;
                    }
                    for k in 0..MESSAGES {
                        let m = ws.next_message().await;
                        assert_eq!(m.as_bytes(), numbered(i, k).as_bytes(), "session {i}");
                    }
                    assert_eq!(ws.close(CloseCode::NORMAL).await, CloseCode::NORMAL);
                });
            }
        }
        while let Some(done) = clients.join_next().await {
            done.unwrap();
        }
        let echoed = started.elapsed();
        expect_clean_ends(&mut server.tally.seen).await;
        assert!(
            wait_until(Duration::from_secs(10), || server
                .tally
                .live
                .load(Ordering::SeqCst)
                == 0)
            .await
        );
        let peak = server.tally.peak.load(Ordering::SeqCst);
        println!(
            "HTTP/2: {SESSIONS} WebSockets ({CONNECTIONS} connections × {STREAMS} streams) × \
             {MESSAGES} messages echoed in {echoed:?}; peak live sessions {peak}"
        );
        assert_eq!(peak, SESSIONS);
        // The connections, now without streams, stay up until the client goes.
        for task in connections {
            task.abort();
        }
        server.shutdown.shutdown();
    })
    .await
    .expect("in time");
}

/// Opens `n` connections to `addr`, 100 at a time, each batch once the server has a
/// task for every connection so far (`tasks0`: the live tasks before): the listen
/// backlog may be as short as 128, and a dropped SYN costs a second.
async fn open_idle(addr: std::net::SocketAddr, n: usize, tasks0: usize) -> Vec<TcpStream> {
    let mut streams = Vec::with_capacity(n);
    while streams.len() < n {
        let batch = (n - streams.len()).min(100);
        let mut set = JoinSet::new();
        for _ in 0..batch {
            set.spawn(TcpStream::connect(addr));
        }
        while let Some(done) = set.join_next().await {
            streams.push(done.unwrap().unwrap());
        }
        let open = streams.len();
        assert!(
            wait_until(Duration::from_secs(5), || alive_tasks() >= tasks0 + open).await,
            "{} live tasks for {open} connections (and {tasks0} before)",
            alive_tasks()
        );
    }
    streams
}

/// Every stream is closed by the server: its read ends (EOF or reset).
async fn expect_closed(streams: &mut [TcpStream]) {
    let mut buf = [0u8; 64];
    for s in streams.iter_mut() {
        match timeout(Duration::from_secs(15), s.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => {}
            Ok(Ok(n)) => panic!("the server wrote {n} bytes to an idle connection"),
            Err(tokio::time::error::Elapsed { .. }) => panic!("an idle connection was not closed"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_cost_bounded_memory_and_are_closed() {
    const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
    let _heavy = HEAVY.lock().await;
    // Each connection takes two descriptors here (client and server side); leave room
    // for the rest of the process.
    let limit = fd_limit();
    let n = 10_000.min(limit.saturating_sub(1_000) / 2);
    println!("descriptor limit {limit}: {n} idle connections");
    assert!(n >= 1_000, "too few descriptors for the test: {limit}");
    timeout(Duration::from_secs(60), async {
        let server = support::start(
            Server::builder()
                .max_connections(20_000)
                .header_read_timeout(HEADER_TIMEOUT),
        )
        .await;
        // Warm up the allocator and the runtime with a first, small round.
        let tasks_idle = alive_tasks();
        let warm = open_idle(server.addr, 200, tasks_idle).await;
        drop(warm);
        assert!(wait_until(Duration::from_secs(5), || alive_tasks() <= tasks_idle).await);

        let mut peaks = Vec::new();
        for round in 0..2 {
            let tasks0 = alive_tasks();
            let rss0 = rss_bytes();
            let opened_at = Instant::now();
            // Every connection has its task on the server.
            let mut streams = open_idle(server.addr, n, tasks0).await;
            let opened = opened_at.elapsed();
            assert!(opened < HEADER_TIMEOUT, "opening took {opened:?}");
            let rss1 = rss_bytes();
            let per = rss1.saturating_sub(rss0) / n;
            println!(
                "round {round}: {n} idle connections opened in {opened:?}; RSS {} → {} KiB: \
                 {per} bytes per idle connection (client and server side)",
                rss0 / 1024,
                rss1 / 1024
            );
            assert!(per < 64 * 1024, "{per} bytes per idle connection");
            expect_closed(&mut streams).await;
            let closed = opened_at.elapsed();
            println!("round {round}: all closed by the header-read timeout after {closed:?}");
            assert!(closed >= HEADER_TIMEOUT);
            drop(streams);
            assert!(wait_until(Duration::from_secs(10), || alive_tasks() <= tasks0).await);
            let rss2 = rss_bytes();
            println!("round {round}: RSS after the close {} KiB", rss2 / 1024);
            peaks.push(rss1);
        }
        // The second round reuses what the first freed: no growth beyond a margin.
        let growth = peaks[1].saturating_sub(peaks[0]);
        println!(
            "RSS peak growth from round 0 to round 1: {} KiB",
            growth / 1024
        );
        assert!(
            growth < peaks[0] / 4,
            "RSS kept growing: {} → {} KiB",
            peaks[0] / 1024,
            peaks[1] / 1024
        );
        server.shutdown.shutdown();
    })
    .await
    .expect("in time");
}
