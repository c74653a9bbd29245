//! Print the credential catalog's prefilter keywords, one per line (lower-case; the
//! prefilter matches them case-insensitively). `scripts/bench.sh` gives them to
//! `rg -i -F -f` as the floor lanyard is measured against: reading every file plus
//! one multi-pattern search.

use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let catalog = lanyard::catalog::Catalog::builtin().map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    for k in catalog.keywords() {
        writeln!(out, "{k}")?;
    }
    Ok(())
}
