//! SIGINT and SIGTERM: remove the temporary files this process is writing
//! (outputs and layers; see `whittle::remove_temporaries`), then exit as
//! the signal would have (130, 143). An output being renamed into place is
//! finished first, so outputs are either all new or all as they were.

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Handle SIGINT and SIGTERM on a thread of their own from now on.
pub fn install() -> std::io::Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let left = whittle::remove_temporaries();
                let name = if signal == SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                };
                eprintln!("\nwhittle: {name}: stopped; its temporary files were removed");
                for path in left {
                    eprintln!("  could not remove {}; delete it by hand", path.display());
                }
                std::process::exit(128 + signal);
            }
        })?;
    Ok(())
}
