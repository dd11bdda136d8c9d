//! Taking a port. Both programs listen on all IPv4 interfaces, as a pod's
//! containers must for the sidecar and the kubelet to reach them, and say
//! in one line which address they could not take and why.

use std::net::{Ipv4Addr, SocketAddr};

use tokio::net::{TcpListener, TcpSocket};

/// Connections the kernel may hold for a program before it accepts them.
///
/// A burst of thousands of connections at once (the benchmark sends 5000)
/// overflows the usual 1024, and each connection that overflows waits a
/// whole second for its SYN to be sent again. Linux caps this at
/// `net.core.somaxconn`, 4096 by default.
const BACKLOG: u32 = 4096;

/// The port could not be taken: in use, or not ours to take.
#[derive(Debug)]
pub struct BindError {
    pub address: SocketAddr,
    pub source: std::io::Error,
}

impl std::fmt::Display for BindError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot listen on {}: {}", self.address, self.source)
    }
}

impl std::error::Error for BindError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Listens on `port` (0 for any free one) on all IPv4 interfaces, and
/// returns the listener with the address it took.
pub fn listen(port: u16) -> Result<(TcpListener, SocketAddr), BindError> {
    let address = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
    let bind = || {
        let socket = TcpSocket::new_v4()?;
        // A restarted program must not wait for the old one's TIME_WAIT
        // sockets to expire.
        socket.set_reuseaddr(true)?;
        socket.bind(address)?;
        let bound = socket.local_addr()?;
        Ok((socket.listen(BACKLOG)?, bound))
    };
    bind().map_err(|source| BindError { address, source })
}
