//! Who may hold the kubelet API's connections. Anyone who can reach the port
//! can open connections; only the API server (and other clients with a
//! certificate of the client CA) needs them. A connection is *unverified*
//! from accept until its TLS handshake ends with a verified client
//! certificate. Unverified connections may take at most three quarters of
//! the cap (the rest is for verified peers), and half of that from one
//! source address. When a limit is reached, the oldest unverified connection
//! that has not begun a request (of that source, for the per-source limit)
//! is closed to make room: idle connections, however many and however often
//! renewed, cannot keep a peer from completing its handshake.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

/// The connection limits and who holds the slots.
#[derive(Debug)]
pub struct Admission {
    limit: usize,
    unverified_limit: usize,
    per_source_limit: usize,
    slots: Mutex<Slots>,
}

#[derive(Debug, Default)]
struct Slots {
    next_id: u64,
    verified: usize,
    /// Oldest first.
    unverified: VecDeque<Unverified>,
    per_source: HashMap<IpAddr, usize>,
}

#[derive(Debug)]
struct Unverified {
    id: u64,
    source: IpAddr,
    started: Arc<AtomicBool>,
    close: CancellationToken,
}

/// What [`Admission::admit`] did.
#[derive(Debug)]
pub enum Admitted {
    /// Admitted; `evicted`: an idle unverified connection was closed for it.
    Yes { ticket: Ticket, evicted: bool },
    /// Every slot it could take is held by a connection in use: refused.
    No,
}

/// One admitted connection's slot, given back on drop.
#[derive(Debug)]
pub struct Ticket {
    admission: Arc<Admission>,
    id: u64,
    verified: bool,
    /// Set when the connection begins its first request.
    pub started: Arc<AtomicBool>,
    /// Cancelled when the connection is closed to make room.
    pub close: CancellationToken,
}

impl Admission {
    /// At most `limit` connections (at least 4).
    pub fn new(limit: usize) -> Arc<Self> {
        let limit = limit.max(4);
        let unverified_limit = limit - limit / 4;
        Arc::new(Self {
            limit,
            unverified_limit,
            per_source_limit: unverified_limit / 2,
            slots: Mutex::default(),
        })
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A slot for a new connection from `source`, unverified.
    pub fn admit(self: &Arc<Self>, source: IpAddr) -> Admitted {
        let mut slots = self.slots();
        let from_source = slots.per_source.get(&source).copied().unwrap_or(0);
        let full = slots.unverified.len() >= self.unverified_limit
            || slots.verified + slots.unverified.len() >= self.limit;
        let mut evicted = false;
        if from_source >= self.per_source_limit {
            evicted = slots.evict(Some(source));
            if !evicted {
                return Admitted::No;
            }
        } else if full {
            evicted = slots.evict(None);
            if !evicted {
                return Admitted::No;
            }
        }
        let id = slots.next_id;
        slots.next_id += 1;
        let started = Arc::new(AtomicBool::new(false));
        let close = CancellationToken::new();
        slots.unverified.push_back(Unverified {
            id,
            source,
            started: Arc::clone(&started),
            close: close.clone(),
        });
        *slots.per_source.entry(source).or_default() += 1;
        Admitted::Yes {
            ticket: Ticket {
                admission: Arc::clone(self),
                id,
                verified: false,
                started,
                close,
            },
            evicted,
        }
    }
}

impl Slots {
    /// Closes the oldest unverified connection (from `source`, if given)
    /// that has not begun a request; whether there was one.
    fn evict(&mut self, source: Option<IpAddr>) -> bool {
        let found = self.unverified.iter().position(|entry| {
            source.is_none_or(|source| entry.source == source)
                && !entry.started.load(Ordering::Relaxed)
        });
        let Some(at) = found else {
            return false;
        };
        if let Some(entry) = self.unverified.remove(at) {
            self.forget_source(entry.source);
            entry.close.cancel();
        }
        true
    }

    /// Removes unverified connection `id`; whether it was still there.
    fn remove(&mut self, id: u64) -> bool {
        let Some(at) = self.unverified.iter().position(|entry| entry.id == id) else {
            return false;
        };
        if let Some(entry) = self.unverified.remove(at) {
            self.forget_source(entry.source);
        }
        true
    }

    fn forget_source(&mut self, source: IpAddr) {
        if let Some(count) = self.per_source.get_mut(&source) {
            *count -= 1;
            if *count == 0 {
                self.per_source.remove(&source);
            }
        }
    }
}

impl Ticket {
    /// The TLS handshake ended with a verified client certificate: the
    /// connection moves to the verified peers' slots and is never evicted.
    pub fn verified(&mut self) {
        let mut slots = self.admission.slots();
        if !self.verified && slots.remove(self.id) {
            slots.verified += 1;
            self.verified = true;
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut slots = self.admission.slots();
        if self.verified {
            slots.verified -= 1;
        } else {
            slots.remove(self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    fn admit(admission: &Arc<Admission>, source: IpAddr) -> (Ticket, bool) {
        match admission.admit(source) {
            Admitted::Yes { ticket, evicted } => (ticket, evicted),
            Admitted::No => panic!("refused"),
        }
    }

    #[test]
    fn idle_unverified_connections_make_room_and_verified_peers_keep_theirs() {
        // 64: 48 for unverified connections, 24 of them per source.
        let admission = Admission::new(64);
        let flood: Vec<(Ticket, bool)> = (0..24).map(|_| admit(&admission, ip(1))).collect();
        assert!(flood.iter().all(|(_, evicted)| !evicted));
        // One more from that source closes its oldest.
        let (_more, evicted) = admit(&admission, ip(1));
        assert!(evicted);
        assert!(flood[0].0.close.is_cancelled());
        assert!(!flood[1].0.close.is_cancelled());
        let others: Vec<(Ticket, bool)> = (0..24).map(|n| admit(&admission, ip(2 + n))).collect();
        assert!(others.iter().all(|(_, evicted)| !evicted));
        // All 48 unverified slots are held: the API server's connection
        // closes the oldest idle one, and once verified it is kept.
        let (mut api_server, evicted) = admit(&admission, ip(100));
        assert!(evicted);
        assert!(flood[1].0.close.is_cancelled());
        api_server.verified();
        let verified: Vec<Ticket> = (0..15)
            .map(|_| {
                let (mut ticket, _) = admit(&admission, ip(100));
                ticket.verified();
                ticket
            })
            .collect();
        assert_eq!(admission.slots().verified, 16);
        assert_eq!(admission.slots().unverified.len(), 47);
        // Dropped tickets give their slots back.
        drop(verified);
        drop(api_server);
        assert_eq!(admission.slots().verified, 0);
    }

    #[test]
    fn connections_in_use_are_not_closed_for_new_ones() {
        let admission = Admission::new(8);
        // 6 unverified slots, 3 per source.
        let busy: Vec<Ticket> = (0..6)
            .map(|n| {
                let (ticket, _) = admit(&admission, ip(n));
                ticket.started.store(true, Ordering::Relaxed);
                ticket
            })
            .collect();
        assert!(matches!(admission.admit(ip(50)), Admitted::No));
        assert!(busy.iter().all(|ticket| !ticket.close.is_cancelled()));
        drop(busy);
        assert!(admission.slots().per_source.is_empty());
        assert!(matches!(admission.admit(ip(50)), Admitted::Yes { .. }));
    }
}
