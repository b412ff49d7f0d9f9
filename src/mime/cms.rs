//! Just enough CMS (RFC 5652, DER per X.690) to say what an S/MIME blob is: its content type,
//! and the subject of the certificate that signed it (RFC 5280 §4.1.2.6) — a name to show,
//! not a verdict on whether to trust it (nothing is verified here).

const PKCS7: [u8; 8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07];
const AUTH_ENVELOPED: [u8; 11] = [
    0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x17,
];
const COMMON_NAME: [u8; 3] = [0x55, 0x04, 0x03];
const EMAIL: [u8; 9] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x01];

/// The `smime-type` of a CMS ContentInfo (RFC 8551 §3.2.2), from the content-type OID near
/// its start: signed or (authenticated-)enveloped data.
pub fn smime_type(der: &[u8]) -> &'static str {
    let head = &der[..der.len().min(32)];
    if head
        .windows(AUTH_ENVELOPED.len())
        .any(|w| w == AUTH_ENVELOPED)
    {
        return "authEnveloped-data";
    }
    match head
        .windows(PKCS7.len() + 1)
        .find(|w| w[..PKCS7.len()] == PKCS7)
        .map(|w| w[PKCS7.len()])
    {
        Some(2) => "signed-data",
        _ => "enveloped-data",
    }
}

/// One DER element: its tag and its contents. Definite lengths only (what signatures use;
/// an indefinite one gives `None`, and the caller shows no name).
fn element(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7F) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, &x| a << 8 | x as usize);
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The elements of a constructed element's contents.
fn children(mut b: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    while let Some((tag, content, rest)) = element(b) {
        out.push((tag, content));
        b = rest;
    }
    out
}

/// The subject of the certificate that signed a SignedData ContentInfo: the certificate
/// whose serial number the first SignerInfo names, else the first one.
pub fn signer(der: &[u8]) -> Option<String> {
    let (_, info, _) = element(der)?;
    let info = children(info);
    let (_, explicit) = info.iter().find(|(t, _)| *t == 0xA0)?;
    let (_, signed, _) = element(explicit)?;
    let fields = children(signed);
    let certs: Vec<&[u8]> = fields
        .iter()
        .find(|(t, _)| *t == 0xA0)
        .map(|(_, c)| children(c).into_iter().map(|(_, c)| c).collect())?;
    // SignerInfo: version, then IssuerAndSerialNumber (a SEQUENCE of issuer and serial).
    let serial = fields
        .iter()
        .rev()
        .find(|(t, _)| *t == 0x31)
        .and_then(|(_, set)| {
            let (_, si, _) = element(set)?;
            let si = children(si);
            let (_, sid) = si.get(1).filter(|(t, _)| *t == 0x30)?;
            children(sid).get(1).map(|(_, s)| s.to_vec())
        });
    let tbs_of = |cert: &[u8]| -> Option<Vec<(u8, Vec<u8>)>> {
        let (_, tbs, _) = element(cert)?;
        let mut f: Vec<(u8, Vec<u8>)> = children(tbs)
            .into_iter()
            .map(|(t, c)| (t, c.to_vec()))
            .collect();
        if f.first().is_some_and(|(t, _)| *t == 0xA0) {
            f.remove(0);
        }
        Some(f)
    };
    let all: Vec<Vec<(u8, Vec<u8>)>> = certs.iter().filter_map(|c| tbs_of(c)).collect();
    let tbs = all
        .iter()
        .find(|f| {
            serial
                .as_ref()
                .is_some_and(|s| f.first().is_some_and(|(_, v)| v == s))
        })
        .or(all.first())?;
    // serial, signature algorithm, issuer, validity, subject
    name(&tbs.get(4)?.1)
}

/// A distinguished name as people read it: `CN <email>`, else its attribute values.
fn name(seq: &[u8]) -> Option<String> {
    let mut cn = None;
    let mut email = None;
    let mut all = Vec::new();
    for (_, set) in children(seq) {
        for (_, atv) in children(set) {
            let pair = children(atv);
            let (Some((0x06, oid)), Some((_, value))) = (pair.first(), pair.get(1)) else {
                continue;
            };
            let text = String::from_utf8_lossy(value).into_owned();
            if *oid == COMMON_NAME {
                cn = Some(text);
            } else if *oid == EMAIL {
                email = Some(text);
            } else {
                all.push(text);
            }
        }
    }
    match (cn, email) {
        (Some(c), Some(e)) => Some(format!("{c} <{e}>")),
        (Some(c), None) => Some(c),
        (None, Some(e)) => Some(e),
        (None, None) => (!all.is_empty()).then(|| all.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cms_content_types_by_oid() {
        // ContentInfo headers as openssl writes them (SEQUENCE, then the OID).
        let enveloped = [
            0x30, 0x82, 0x01, 0x9a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07,
            0x03,
        ];
        let signed = [
            0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
        ];
        assert_eq!(smime_type(&enveloped), "enveloped-data");
        assert_eq!(smime_type(&signed), "signed-data");
    }

    #[test]
    fn truncated_or_garbage_gives_no_name() {
        for b in [
            &[][..],
            &[0x30],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 0x80, 0, 0],
        ] {
            assert_eq!(signer(b), None);
        }
    }
}
