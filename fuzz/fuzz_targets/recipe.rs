//! Recipe YAML → `BuildPlan`: any text gives a plan or an error, never a
//! panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use serde_yaml_ng::Value;

/// Whether the recipe would read a file through `include:` that could be
/// anything on this machine (an absolute path such as `/dev/zero`, or one
/// built from a variable). Relative includes resolve under a directory
/// that does not exist, so they are fuzzed: they fail to read.
fn includes_a_host_file(text: &str) -> bool {
    let Ok(Value::Mapping(map)) = serde_yaml_ng::from_str::<Value>(text) else {
        return false;
    };
    map.iter().any(|(k, v)| {
        k.as_str() == Some("include")
            && match v {
                Value::String(s) => s.trim_start().starts_with('/') || s.contains('$'),
                _ => false,
            }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if includes_a_host_file(text) {
        return;
    }
    let env = |name: &str| (name == "FUZZ").then(|| "value".to_string());
    let file = Path::new("/nonexistent-whittle-fuzz/recipe.yaml");
    if let Ok(plan) = whittle_recipe::BuildPlan::from_str_with_env(text, file, &env) {
        let _ = plan.run_as_uid();
        let _ = plan.vcs_source_revision();
        let _ = plan.repositories_for_resolving().count();
    }
});
