//! The sample packets of RFC 9001 Appendix A and RFC 9369 Appendix A, reproduced byte for
//! byte through `stator_quic::crypto` (keys from rustls, AEAD and header protection from
//! ring underneath). The headers are written by hand here: building them is the packet
//! module's job, not this one's.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hmac;
use stator_quic::Version;
use stator_quic::crypto::{
    DirectionalKeys, Keys, RETRY_TAG_LEN, Side, apply_header_protection, initial_keys, open_packet,
    protect_packet, remove_header_protection, retry_integrity_tag, verify_retry_integrity,
};

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2));
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The client's first destination connection ID in both appendices.
const DCID: &str = "8394c8f03e515708";
/// The initial salts (RFC 9001 §5.2, RFC 9369 §3.3.1).
const V1_SALT: &str = "38762cf7f55934b34d179ae6a4c80cadccbb7f0a";
const V2_SALT: &str = "0dede3def700a6db819381be6e269dcbf9bd2ed9";

// The values below are copied from the appendices' hex blocks.
// V1: rfc9001-quic-tls.md, Appendix A.
const V1_INITIAL_SECRET: &str = "7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44";
const V1_CLIENT_SECRET: &str = "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea";
const V1_CLIENT_KEY: &str = "1f369613dd76d5467730efcbe3b1a22d";
const V1_CLIENT_IV: &str = "fa044b2f42a3fd3b46fb255c";
const V1_CLIENT_HP: &str = "9f50449e04a0e810283a1e9933adedd2";
const V1_SERVER_SECRET: &str = "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b";
const V1_SERVER_KEY: &str = "cf3a5331653c364c88f0f379b6067e37";
const V1_SERVER_IV: &str = "0ac1493ca1905853b0bba03e";
const V1_SERVER_HP: &str = "c206b8d9b9f0f37644430b490eeaa314";
const V1_CLIENT_PAYLOAD: &str = "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578616d706c652e636f6dff01000100000a00080006001d0017001800100007000504616c706e000500050100000000003300260024001d00209370b2c9caa47fbabaf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b0003020304000d0010000e0403050306030203080408050806002d00020101001c00024001003900320408ffffffffffffffff05048000ffff07048000ffff0801100104800075300901100f088394c8f03e51570806048000ffff";
const V1_CLIENT_HEADER: &str = "c300000001088394c8f03e5157080000449e00000002";
const V1_CLIENT_SAMPLE: &str = "d1b1c98dd7689fb8ec11d242b123dc9b";
const V1_CLIENT_MASK: &str = "437b9aec36";
const V1_CLIENT_PACKET: &str = "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f3991c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df621230c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c2084dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f89937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c7468449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663ac69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe5896425c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ffef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009ddc324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77fcb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450efc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03adea2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e72404790a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f440591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca06948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f0940054da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd46840647e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241e221af44860018ab0856972e194cd934";
const V1_SERVER_PAYLOAD: &str = "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf73988cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c940d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00020304";
const V1_SERVER_HEADER: &str = "c1000000010008f067a5502a4262b50040750001";
const V1_SERVER_SAMPLE: &str = "2cd0991cd25b0aac406a5816b6394100";
const V1_SERVER_MASK: &str = "2ec0d8356a";
const V1_SERVER_PACKET: &str = "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc42158407dd074ee";
const V1_RETRY: &str = "ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba";
const V1_CHACHA_SECRET: &str = "9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b";
const V1_CHACHA_KEY: &str = "c6d98ff3441c3fe1b2182094f69caa2ed4b716b65488960a7a984979fb23e1c8";
const V1_CHACHA_IV: &str = "e0459b3474bdd0e44a41c144";
const V1_CHACHA_HP: &str = "25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4";
const V1_CHACHA_KU: &str = "1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9";
const V1_CHACHA_NONCE: &str = "e0459b3474bdd0e46d417eb0";
const V1_CHACHA_HEADER: &str = "4200bff4";
const V1_CHACHA_PLAINTEXT: &str = "01";
const V1_CHACHA_CIPHERTEXT: &str = "655e5cd55c41f69080575d7999c25a5bfb";
const V1_CHACHA_PN: u64 = 654360564;
const V1_CHACHA_MASK: &str = "aefefe7d03";
const V1_CHACHA_PACKET: &str = "4cfe4189655e5cd55c41f69080575d7999c25a5bfb";
// V2: rfc9369-quic-v2.md, Appendix A.
const V2_INITIAL_SECRET: &str = "2062e8b3cd8d52092614b8071d0aa1fb7c2e3ac193f78b280e72d8f5751f6aba";
const V2_CLIENT_SECRET: &str = "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b";
const V2_CLIENT_KEY: &str = "8b1a0bc121284290a29e0971b5cd045d";
const V2_CLIENT_IV: &str = "91f73e2351d8fa91660e909f";
const V2_CLIENT_HP: &str = "45b95e15235d6f45a6b19cbcb0294ba9";
const V2_SERVER_SECRET: &str = "0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1";
const V2_SERVER_KEY: &str = "82db637861d55e1d011f19ea71d5d2a7";
const V2_SERVER_IV: &str = "dd13c276499c0249d3310652";
const V2_SERVER_HP: &str = "edf6d05c83121201b436e16877593c3a";
const V2_CLIENT_PAYLOAD: &str = "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578616d706c652e636f6dff01000100000a00080006001d0017001800100007000504616c706e000500050100000000003300260024001d00209370b2c9caa47fbabaf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b0003020304000d0010000e0403050306030203080408050806002d00020101001c00024001003900320408ffffffffffffffff05048000ffff07048000ffff0801100104800075300901100f088394c8f03e51570806048000ffff";
const V2_CLIENT_HEADER: &str = "d36b3343cf088394c8f03e5157080000449e00000002";
const V2_CLIENT_SAMPLE: &str = "ffe67b6abcdb4298b485dd04de806071";
const V2_CLIENT_MASK: &str = "94a0c95e80";
const V2_CLIENT_PACKET: &str = "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad049f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd6818f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff3312ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1fac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c1216ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e54df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de714d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff99c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e7071010d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d134b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e38d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b536f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb199a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96ba18b2faa745b6fe189cf772a9f84cbfc";
const V2_SERVER_PAYLOAD: &str = "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf73988cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c940d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00020304";
const V2_SERVER_HEADER: &str = "d16b3343cf0008f067a5502a4262b50040750001";
const V2_SERVER_SAMPLE: &str = "6f05d8a4398c47089698baeea26b91eb";
const V2_SERVER_MASK: &str = "4dd92e91ea";
const V2_SERVER_PACKET: &str = "dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca84bed8521e2e140";
const V2_RETRY: &str = "cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe33952d955543665dcc7b6";
const V2_CHACHA_SECRET: &str = "9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b";
const V2_CHACHA_KEY: &str = "3bfcddd72bcf02541d7fa0dd1f5f9eeea817e09a6963a0e6c7df0f9a1bab90f2";
const V2_CHACHA_IV: &str = "a6b5bc6ab7dafce30ffff5dd";
const V2_CHACHA_HP: &str = "d659760d2ba434a226fd37b35c69e2da8211d10c4f12538787d65645d5d1b8e2";
const V2_CHACHA_KU: &str = "c69374c49e3d2a9466fa689e49d476db5d0dfbc87d32ceeaa6343fd0ae4c7d88";
const V2_CHACHA_NONCE: &str = "a6b5bc6ab7dafce328ff4a29";
const V2_CHACHA_HEADER: &str = "4200bff4";
const V2_CHACHA_PLAINTEXT: &str = "01";
const V2_CHACHA_CIPHERTEXT: &str = "0ae7b6b932bc27d786f4bc2bb20f2162ba";
const V2_CHACHA_PN: u64 = 654360564;
const V2_CHACHA_MASK: &str = "97580e32bf";
const V2_CHACHA_PACKET: &str = "5558b1c60ae7b6b932bc27d786f4bc2bb20f2162ba";

/// The values of one version's appendix.
struct Vectors {
    version: Version,
    salt: &'static str,
    labels: [&'static str; 4],
    initial_secret: &'static str,
    secrets: [(&'static str, &'static str, &'static str, &'static str); 2],
    client: [&'static str; 5],
    server: [&'static str; 5],
    retry: &'static str,
    chacha: ChaCha,
}

struct ChaCha {
    secret: &'static str,
    key: &'static str,
    iv: &'static str,
    hp: &'static str,
    ku: &'static str,
    nonce: &'static str,
    header: &'static str,
    plaintext: &'static str,
    ciphertext: &'static str,
    pn: u64,
    mask: &'static str,
    packet: &'static str,
}

fn v1() -> Vectors {
    Vectors {
        version: Version::V1,
        salt: V1_SALT,
        labels: ["quic key", "quic iv", "quic hp", "quic ku"],
        initial_secret: V1_INITIAL_SECRET,
        secrets: [
            (V1_CLIENT_SECRET, V1_CLIENT_KEY, V1_CLIENT_IV, V1_CLIENT_HP),
            (V1_SERVER_SECRET, V1_SERVER_KEY, V1_SERVER_IV, V1_SERVER_HP),
        ],
        client: [
            V1_CLIENT_PAYLOAD,
            V1_CLIENT_HEADER,
            V1_CLIENT_SAMPLE,
            V1_CLIENT_MASK,
            V1_CLIENT_PACKET,
        ],
        server: [
            V1_SERVER_PAYLOAD,
            V1_SERVER_HEADER,
            V1_SERVER_SAMPLE,
            V1_SERVER_MASK,
            V1_SERVER_PACKET,
        ],
        retry: V1_RETRY,
        chacha: ChaCha {
            secret: V1_CHACHA_SECRET,
            key: V1_CHACHA_KEY,
            iv: V1_CHACHA_IV,
            hp: V1_CHACHA_HP,
            ku: V1_CHACHA_KU,
            nonce: V1_CHACHA_NONCE,
            header: V1_CHACHA_HEADER,
            plaintext: V1_CHACHA_PLAINTEXT,
            ciphertext: V1_CHACHA_CIPHERTEXT,
            pn: V1_CHACHA_PN,
            mask: V1_CHACHA_MASK,
            packet: V1_CHACHA_PACKET,
        },
    }
}

fn v2() -> Vectors {
    Vectors {
        version: Version::V2,
        salt: V2_SALT,
        labels: ["quicv2 key", "quicv2 iv", "quicv2 hp", "quicv2 ku"],
        initial_secret: V2_INITIAL_SECRET,
        secrets: [
            (V2_CLIENT_SECRET, V2_CLIENT_KEY, V2_CLIENT_IV, V2_CLIENT_HP),
            (V2_SERVER_SECRET, V2_SERVER_KEY, V2_SERVER_IV, V2_SERVER_HP),
        ],
        client: [
            V2_CLIENT_PAYLOAD,
            V2_CLIENT_HEADER,
            V2_CLIENT_SAMPLE,
            V2_CLIENT_MASK,
            V2_CLIENT_PACKET,
        ],
        server: [
            V2_SERVER_PAYLOAD,
            V2_SERVER_HEADER,
            V2_SERVER_SAMPLE,
            V2_SERVER_MASK,
            V2_SERVER_PACKET,
        ],
        retry: V2_RETRY,
        chacha: ChaCha {
            secret: V2_CHACHA_SECRET,
            key: V2_CHACHA_KEY,
            iv: V2_CHACHA_IV,
            hp: V2_CHACHA_HP,
            ku: V2_CHACHA_KU,
            nonce: V2_CHACHA_NONCE,
            header: V2_CHACHA_HEADER,
            plaintext: V2_CHACHA_PLAINTEXT,
            ciphertext: V2_CHACHA_CIPHERTEXT,
            pn: V2_CHACHA_PN,
            mask: V2_CHACHA_MASK,
            packet: V2_CHACHA_PACKET,
        },
    }
}

/// HKDF-Extract with SHA-256 (RFC 5869 §2.2), as one HMAC.
fn extract(salt: &[u8], ikm: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, salt), ikm)
        .as_ref()
        .to_vec()
}

/// HKDF-Expand-Label (RFC 8446 §7.1) for outputs of at most one SHA-256 block.
fn expand_label(secret: &[u8], label: &str, len: usize) -> Vec<u8> {
    let full = format!("tls13 {label}");
    let mut info = vec![0, len as u8, full.len() as u8];
    info.extend_from_slice(full.as_bytes());
    info.push(0); // empty context
    info.push(1); // T(1) = HMAC(PRK, info || 0x01)
    let mut out = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), &info)
        .as_ref()
        .to_vec();
    out.truncate(len);
    out
}

/// A.1: the key schedule as the appendix shows it, step by step. This checks the
/// appendix values (and our reading of them) independently of rustls.
fn key_schedule_matches_the_appendix(v: &Vectors) {
    let initial = extract(&hex(v.salt), &hex(DCID));
    assert_eq!(initial, hex(v.initial_secret));
    for ((secret, key, iv, hp), label) in v.secrets.iter().zip(["client in", "server in"]) {
        let s = expand_label(&initial, label, 32);
        assert_eq!(s, hex(secret));
        assert_eq!(expand_label(&s, v.labels[0], 16), hex(key));
        assert_eq!(expand_label(&s, v.labels[1], 12), hex(iv));
        assert_eq!(expand_label(&s, v.labels[2], 16), hex(hp));
    }
}

/// A.1 through our keys: rustls' Initial keys must be the appendix's. rustls does not
/// expose key bytes, so compare what they do: the header protection mask against ring's
/// AES-ECB with the appendix's `hp`, and a sealed payload against ring's AES-128-GCM with
/// the appendix's `key` and `iv`.
fn initial_keys_are_the_appendix_keys(v: &Vectors) {
    let client = initial_keys(v.version, &hex(DCID), Side::Client).unwrap();
    let server = initial_keys(v.version, &hex(DCID), Side::Server).unwrap();
    let check = |keys: &DirectionalKeys, (_, key, iv, hp): (&str, &str, &str, &str)| {
        // Header protection: a long header with a 4-byte packet number of zeros shows the
        // mask.
        let sample = [0x5au8; 16];
        let mut packet = vec![0xc3, 0, 0, 0, 0];
        packet.extend_from_slice(&sample);
        apply_header_protection(&keys.header, &mut packet, 1, true).unwrap();
        let hp = ring::aead::quic::HeaderProtectionKey::new(&ring::aead::quic::AES_128, &hex(hp))
            .unwrap();
        let mask = hp.new_mask(&sample).unwrap();
        assert_eq!(packet[0], 0xc3 ^ (mask[0] & 0x0f));
        assert_eq!(&packet[1..5], &mask[1..5]);

        // Packet protection with packet number 0x1234: nonce = iv XOR pn (RFC 9001 §5.3).
        let header = [0xc3, 0, 0, 0x12, 0x34];
        let body = b"some payload bytes";
        let mut ours = header.to_vec();
        ours.extend_from_slice(body);
        ours.extend_from_slice(&[0; 16]);
        stator_quic::crypto::seal_packet(&keys.packet, 0x1234, &mut ours, header.len()).unwrap();
        let mut nonce: [u8; 12] = hex(iv).try_into().unwrap();
        nonce[10] ^= 0x12;
        nonce[11] ^= 0x34;
        let ring_key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &hex(key)).unwrap());
        let mut theirs = body.to_vec();
        ring_key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(header),
                &mut theirs,
            )
            .unwrap();
        assert_eq!(&ours[header.len()..], &theirs[..]);
    };
    check(&client.local, v.secrets[0]);
    check(&server.remote, v.secrets[0]);
    check(&server.local, v.secrets[1]);
    check(&client.remote, v.secrets[1]);
}

/// A.2 and A.3: protect the appendix payload behind the hand-written header and compare
/// the whole packet; then remove the protection on the other side and get both back.
fn initial_packet(v: &Vectors, sender: Side, values: [&str; 5], pn: u64, padded_len: usize) {
    let [payload, header, sample, mask, expected] = values;
    let (seal, open): (Keys, Keys) = match sender {
        Side::Client => (
            initial_keys(v.version, &hex(DCID), Side::Client).unwrap(),
            initial_keys(v.version, &hex(DCID), Side::Server).unwrap(),
        ),
        Side::Server => (
            initial_keys(v.version, &hex(DCID), Side::Server).unwrap(),
            initial_keys(v.version, &hex(DCID), Side::Client).unwrap(),
        ),
    };
    let header = hex(header);
    let pn_len = usize::from(header[0] & 0x03) + 1;
    let pn_offset = header.len() - pn_len;
    let mut plain = hex(payload);
    // PADDING frames (type 0x00) up to the appendix's payload size.
    plain.resize(plain.len().max(padded_len), 0);

    let mut packet = header.clone();
    packet.extend_from_slice(&plain);
    packet.extend_from_slice(&[0; 16]);
    protect_packet(
        &seal.local.header,
        &seal.local.packet,
        pn,
        &mut packet,
        pn_offset,
        true,
    )
    .unwrap();
    let expected = hex(expected);
    assert_eq!(packet.len(), expected.len());
    assert_eq!(packet, expected);
    // The appendix's intermediate values: the sample and the masked first byte.
    let sample_at = pn_offset + 4;
    assert_eq!(&packet[sample_at..sample_at + 16], &hex(sample)[..]);
    let mask = hex(mask);
    if mask.len() == 5 {
        assert_eq!(packet[0], header[0] ^ (mask[0] & 0x0f));
    }

    let u = remove_header_protection(&open.remote.header, &mut packet, pn_offset, true).unwrap();
    assert_eq!(u.first_byte, header[0]);
    assert_eq!(u.pn_len, pn_len);
    assert_eq!(u64::from(u.truncated_pn), pn);
    assert_eq!(&packet[..header.len()], &header[..]);
    let n = open_packet(&open.remote.packet, pn, &mut packet, header.len()).unwrap();
    assert_eq!(&packet[header.len()..header.len() + n], &plain[..]);
}

/// A.4: the Retry packet's tag over the pseudo-packet with the client's DCID.
fn retry_packet(v: &Vectors) {
    let retry = hex(v.retry);
    let (packet, tag) = retry.split_at(retry.len() - RETRY_TAG_LEN);
    assert_eq!(
        retry_integrity_tag(v.version, &hex(DCID), packet).unwrap(),
        tag
    );
    assert!(verify_retry_integrity(v.version, &hex(DCID), &retry));
    let mut tampered = retry.clone();
    tampered[10] ^= 1;
    assert!(!verify_retry_integrity(v.version, &hex(DCID), &tampered));
}

/// A.5: the 21-byte ChaCha20-Poly1305 short header packet.
fn chacha_packet(v: &Vectors) {
    let c = &v.chacha;
    // The key schedule from the 1-RTT secret (HKDF-Expand-Label as the appendix shows it).
    let secret = hex(c.secret);
    assert_eq!(expand_label(&secret, v.labels[0], 32), hex(c.key));
    assert_eq!(expand_label(&secret, v.labels[1], 12), hex(c.iv));
    assert_eq!(expand_label(&secret, v.labels[2], 32), hex(c.hp));
    assert_eq!(expand_label(&secret, v.labels[3], 32), hex(c.ku));
    // nonce = iv XOR packet number (RFC 9001 §5.3).
    let mut nonce = hex(c.iv);
    for (n, p) in nonce[4..].iter_mut().zip(c.pn.to_be_bytes()) {
        *n ^= p;
    }
    assert_eq!(nonce, hex(c.nonce));

    let alg = rustls::crypto::ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256
        .tls13()
        .unwrap()
        .quic
        .unwrap();
    let keys = DirectionalKeys::from_raw(alg, &hex(c.key), &hex(c.iv), &hex(c.hp)).unwrap();
    let header = hex(c.header);
    let mut packet = header.clone();
    packet.extend_from_slice(&hex(c.plaintext));
    packet.extend_from_slice(&[0; 16]);
    stator_quic::crypto::seal_packet(&keys.packet, c.pn, &mut packet, header.len()).unwrap();
    assert_eq!(&packet[header.len()..], &hex(c.ciphertext)[..]);
    apply_header_protection(&keys.header, &mut packet, 1, false).unwrap();
    assert_eq!(packet, hex(c.packet));
    let mask = hex(c.mask);
    assert_eq!(packet[0], header[0] ^ (mask[0] & 0x1f));

    // And back, as the receiver: the smallest possible packet still has its sample.
    let mut again = hex(c.packet);
    let u = remove_header_protection(&keys.header, &mut again, 1, false).unwrap();
    assert_eq!((u.first_byte, u.pn_len, u.truncated_pn), (0x42, 3, 49140));
    // The packet module expands 49140 to 654360564 (RFC 9000 §17.1); here, given.
    let n = open_packet(&keys.packet, c.pn, &mut again, header.len()).unwrap();
    assert_eq!(
        &again[header.len()..header.len() + n],
        &hex(c.plaintext)[..]
    );
    // One more byte cut off: the sample is gone, an error and no panic.
    let mut short = hex(c.packet);
    short.pop();
    assert!(remove_header_protection(&keys.header, &mut short, 1, false).is_err());
}

#[test]
fn rfc9001_a1_keys() {
    key_schedule_matches_the_appendix(&v1());
    initial_keys_are_the_appendix_keys(&v1());
}

#[test]
fn rfc9001_a2_client_initial() {
    initial_packet(&v1(), Side::Client, v1().client, 2, 1162);
}

#[test]
fn rfc9001_a3_server_initial() {
    initial_packet(&v1(), Side::Server, v1().server, 1, 0);
}

#[test]
fn rfc9001_a4_retry() {
    retry_packet(&v1());
}

#[test]
fn rfc9001_a5_chacha20_short_header() {
    chacha_packet(&v1());
}

#[test]
fn rfc9369_a1_keys() {
    key_schedule_matches_the_appendix(&v2());
    initial_keys_are_the_appendix_keys(&v2());
}

#[test]
fn rfc9369_a2_client_initial() {
    initial_packet(&v2(), Side::Client, v2().client, 2, 1162);
}

#[test]
fn rfc9369_a3_server_initial() {
    initial_packet(&v2(), Side::Server, v2().server, 1, 0);
}

#[test]
fn rfc9369_a4_retry() {
    retry_packet(&v2());
}

#[test]
fn rfc9369_a5_chacha20_short_header() {
    chacha_packet(&v2());
}

#[test]
fn v1_and_v2_initial_keys_differ() {
    let mut a = hex(V1_SERVER_HEADER);
    a.extend_from_slice(&[0; 40]);
    let mut b = a.clone();
    let k1 = initial_keys(Version::V1, &hex(DCID), Side::Server).unwrap();
    let k2 = initial_keys(Version::V2, &hex(DCID), Side::Server).unwrap();
    protect_packet(&k1.local.header, &k1.local.packet, 1, &mut a, 18, true).unwrap();
    protect_packet(&k2.local.header, &k2.local.packet, 1, &mut b, 18, true).unwrap();
    assert_ne!(a, b);
    assert!(initial_keys(Version(0x1a2a_3a4a), &hex(DCID), Side::Client).is_err());
}
