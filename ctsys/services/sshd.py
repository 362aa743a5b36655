"""What the appliance's sshd accepts: current key exchange, ciphers, MACs and key types only.

The lists are OpenSSH 9.2's (Debian 12) modern algorithms: no SHA-1, no CBC,
no NIST-curve key exchange, no RSA host key (the appliance makes Ed25519 and
ECDSA host keys at first boot). Every OpenSSH client since 7.x (2016), PuTTY
0.68+ and Windows' own ssh speak them. The system tier compares `sshd -T` of
the booted appliance with these lists.
"""

from __future__ import annotations

KEX_ALGORITHMS = (
    "sntrup761x25519-sha512@openssh.com",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
)
CIPHERS = (
    "chacha20-poly1305@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-ctr",
    "aes192-ctr",
    "aes128-ctr",
)
MACS = (
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha2-256-etm@openssh.com",
    "umac-128-etm@openssh.com",
)
HOST_KEYS = ("/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_ecdsa_key")
HOST_KEY_ALGORITHMS = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ssh-ed25519-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
)
# Keys the administrator may log in with: the document accepts these key types
# (ctsys.config.sections.system); RSA keys sign with SHA-2 only.
PUBKEY_ALGORITHMS = (
    "ssh-ed25519",
    "sk-ssh-ed25519@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-256",
)

# Session limits (Lynis SSH-7408 audits them). A dead client is dropped after 2
# unanswered probes a minute apart, by messages inside the encrypted channel; TCP
# keepalives, which anyone on the path can spoof, are off. No compression: CPU the
# recorder needs, and compressing before encrypting leaks the length of what is
# typed. MaxSessions stays 4 (Lynis asks 2): Ansible's multiplexed connection and
# an administrator's `ssh -L` beside a shell share one connection.
SESSION_LIMITS = {
    "MaxAuthTries": "3",
    "MaxSessions": "4",
    "ClientAliveInterval": "60",
    "ClientAliveCountMax": "2",
    "TCPKeepAlive": "no",
    "Compression": "no",
}


def policy() -> dict[str, str]:
    """sshd_config keyword -> value (`sshd -T` prints the keywords in lower case)."""
    return {
        "KexAlgorithms": ",".join(KEX_ALGORITHMS),
        "Ciphers": ",".join(CIPHERS),
        "MACs": ",".join(MACS),
        "HostKeyAlgorithms": ",".join(HOST_KEY_ALGORITHMS),
        "PubkeyAcceptedAlgorithms": ",".join(PUBKEY_ALGORITHMS),
    }
