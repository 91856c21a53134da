//! Which addresses a tenant's webhook may reach: only public unicast ones.
//!
//! A webhook URL is chosen by a tenant, and the request leaves from inside our network. Without
//! this check a tenant could make us POST to our own loopback services, the cloud metadata
//! endpoint (169.254.169.254), or any private host our network reaches (SSRF).
//!
//! IPv6 is judged by allow-list: only global unicast (2000::/3) can be public, which leaves out
//! loopback, unique-local, link-local, site-local, multicast and everything not yet allocated.
//! IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that
//! address, so `[::ffff:10.0.0.1]` is as private as `10.0.0.1`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use reqwest::Url;

/// Whether a webhook may be sent to `ip`.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

/// The address a URL names literally (`https://10.0.0.5/`, `https://[::1]/`), if it does.
/// Such URLs never reach a DNS resolver, so they must be checked on their own.
pub fn literal_ip(url: &Url) -> Option<IpAddr> {
    // The URL parser has already turned IPv4 spellings such as `0x7f.1` into dotted form and
    // keeps IPv6 in brackets; a domain name never parses as an address.
    let host = url.host_str()?;
    host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host).parse().ok()
}

/// IPv4 ranges that are not publicly routable unicast, as (network, prefix length).
const NON_PUBLIC_V4: &[([u8; 4], u8)] = &[
    ([0, 0, 0, 0], 8),       // "this network", includes the unspecified 0.0.0.0
    ([10, 0, 0, 0], 8),      // private
    ([100, 64, 0, 0], 10),   // carrier-grade NAT (shared address space)
    ([127, 0, 0, 0], 8),     // loopback
    ([169, 254, 0, 0], 16),  // link-local, cloud metadata endpoints
    ([172, 16, 0, 0], 12),   // private
    ([192, 0, 0, 0], 24),    // IETF protocol assignments
    ([192, 0, 2, 0], 24),    // documentation (TEST-NET-1)
    ([192, 88, 99, 0], 24),  // deprecated 6to4 relay anycast
    ([192, 168, 0, 0], 16),  // private
    ([198, 18, 0, 0], 15),   // benchmarking
    ([198, 51, 100, 0], 24), // documentation (TEST-NET-2)
    ([203, 0, 113, 0], 24),  // documentation (TEST-NET-3)
    ([224, 0, 0, 0], 4),     // multicast
    ([240, 0, 0, 0], 4),     // reserved, includes broadcast 255.255.255.255
];

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let address = u32::from(ip);
    !NON_PUBLIC_V4.iter().any(|&(network, prefix)| in_prefix_v4(address, u32::from_be_bytes(network), prefix))
}

fn in_prefix_v4(address: u32, network: u32, prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    address & mask == network & mask
}

/// Ranges inside global unicast 2000::/3 that are still not public, as (network, prefix length).
const NON_PUBLIC_GLOBAL_V6: &[(u128, u8)] = &[
    // IETF protocol assignments: Teredo tunnels (which hide the IPv4 they reach), benchmarking
    // 2001:2::/48, ORCHID; no webhook receiver lives there.
    (0x2001_0000_0000_0000_0000_0000_0000_0000, 23),
    (0x2001_0db8_0000_0000_0000_0000_0000_0000, 32), // documentation
    (0x3fff_0000_0000_0000_0000_0000_0000_0000, 20), // documentation (RFC 9637)
];

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(embedded) = embedded_v4(ip) {
        return is_public_v4(embedded);
    }
    let address = u128::from(ip);
    in_prefix_v6(address, 0x2000 << 112, 3)
        && !NON_PUBLIC_GLOBAL_V6.iter().any(|&(network, prefix)| in_prefix_v6(address, network, prefix))
}

/// The IPv4 address an IPv6 address stands for, for the forms that route to one.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let address = u128::from(ip);
    let low_32 = Ipv4Addr::from((address & 0xffff_ffff) as u32);
    let mapped = in_prefix_v6(address, 0xffff << 32, 96); // ::ffff:a.b.c.d
    // ::a.b.c.d (deprecated "compatible"); also covers :: and ::1, which land in 0.0.0.0/8.
    let compatible = in_prefix_v6(address, 0, 96);
    let nat64 = in_prefix_v6(address, 0x0064_ff9b << 96, 96); // 64:ff9b::a.b.c.d
    if mapped || compatible || nat64 {
        return Some(low_32);
    }
    // 6to4: 2002:AABB:CCDD::/48 carries a.b.c.d in bits 16..48.
    if in_prefix_v6(address, 0x2002 << 112, 16) {
        return Some(Ipv4Addr::from(((address >> 80) & 0xffff_ffff) as u32));
    }
    None
}

fn in_prefix_v6(address: u128, network: u128, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    address & mask == network & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses_are_refused() {
        let refused = [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.5",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.0.9",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.251",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "fc00::1",
            "fd12:3456:789a::1",
            "ff02::1",
            "100::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::7f00:1",
            "64:ff9b:1::8.8.8.8",
            "2002:7f00:0001::1",
            "2002:c0a8:0101::1",
            "2001:db8::1",
            "2001::1",
            "2001:2::1",
            "3fff::1",
        ];
        for text in refused {
            let ip: IpAddr = text.parse().expect(text);
            assert!(!is_public(ip), "{text} was judged public");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        let allowed = [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "126.255.255.255",
            "128.0.0.1",
            "169.253.255.255",
            "172.15.255.255",
            "172.32.0.1",
            "192.0.1.1",
            "192.167.255.255",
            "192.169.0.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.254",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
        ];
        for text in allowed {
            let ip: IpAddr = text.parse().expect(text);
            assert!(is_public(ip), "{text} was judged not public");
        }
    }
}
