#![no_main]

use lanyard::classify::FileKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lanyard_fuzz::parse_one("config.yaml", FileKind::Yaml, data);
});
