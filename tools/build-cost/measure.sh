#!/usr/bin/env bash
# What does a downstream crate pay, in clean `cargo build` wall time, for
# each way of getting the Dovecot event types?
#
#   a  pregenerated   depends on the pre-generated `dovecot-events` crate
#                     (default features: the newest release)
#   b  schema!        `dovecot_events::schema!("<repo>/schema")` expanded in place;
#                     `dovecot-events` with `default-features = false,
#                     features = ["derive"]`, as the README says
#   c  build.rs       `dovecot_events_codegen::Builder::new().generate()` + include!;
#                     `dovecot-events` with `default-features = false`, as the
#                     README says
#   d  v2_3_7 only    like a, with `default-features = false, features = ["v2_3_7"]`
#
# Each variant is a fresh crate in a temporary directory with path
# dependencies on this repository, its own CARGO_TARGET_DIR, and the
# repository's Cargo.lock (so the dependency versions are the ones tested
# here and the build works offline). Every run deletes the target directory
# first. The runs go round-robin over the variants so that a change in
# machine load hits all of them alike; the table shows the median of N of
# the wall time and of the CPU time (user + system, of cargo and every
# compiler it ran), which other processes on the machine disturb far less.
#
# Usage: tools/build-cost/measure.sh [N]      (N defaults to 5)
# Environment: KEEP=1 keeps the temporary directory; CARGO as usual.
#
# Run it on an otherwise idle machine: the load average is printed before
# and after.

set -euo pipefail

runs=${1:-5}
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [N]   (N = runs per variant, default 5)" >&2
    exit 2
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cargo=${CARGO:-cargo}
work=$(mktemp -d "${TMPDIR:-/tmp}/dovecot-build-cost.XXXXXX")
if [[ ${KEEP:-0} != 1 ]]; then
    trap 'rm -rf "$work"' EXIT
fi
unset RUSTFLAGS CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR CARGO_INCREMENTAL

# One real event from the capture of Dovecot 2.3.19.1, as a Rust raw string.
line=$(grep -m1 '"event":"imap_command_finished"' \
    "$repo/tests/fixtures/exports/2.3.19/json-unix.jsonl")

manifest() { # name, dependency lines, [build-dependency lines]
    cat <<EOF
[package]
name = "$1"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
$2
EOF
    if [[ -n ${3:-} ]]; then
        printf '\n[build-dependencies]\n%s\n' "$3"
    fi
}

# main.rs: read the event with the runtime, convert it into the variant's
# own `Event` type in one call, as the README shows (`$1` is the module
# holding it), and check one field.
main_rs() {
    cat <<EOF
$2

const LINE: &str = r#"$line"#;

fn main() {
    let raw = dovecot_events::json::from_str_raw(LINE).expect("valid JSON");
    let event = $1::Event::try_from(raw).expect("fits");
    let $1::Event::ImapCommandFinished(command) = event else {
        panic!("typed event");
    };
    assert!(command.tagged_reply.is_some());
}
EOF
}

make_crate() { # dir, manifest, main.rs, [build.rs]
    mkdir -p "$work/$1/src"
    printf '%s\n' "$2" >"$work/$1/Cargo.toml"
    printf '%s\n' "$3" >"$work/$1/src/main.rs"
    if [[ -n ${4:-} ]]; then
        printf '%s\n' "$4" >"$work/$1/build.rs"
    fi
    cp "$repo/Cargo.lock" "$work/$1/Cargo.lock"
}

events="dovecot-events = { path = \"$repo/generated\" }"
make_crate a-pregenerated \
    "$(manifest a-pregenerated "$events")" \
    "$(main_rs dovecot_events '')"
make_crate b-schema-macro \
    "$(manifest b-schema-macro "dovecot-events = { path = \"$repo/generated\", default-features = false, features = [\"derive\"] }")" \
    "$(main_rs events "mod events {
    dovecot_events::schema!(\"$repo/schema\");
}")"
make_crate c-build-rs \
    "$(manifest c-build-rs "dovecot-events = { path = \"$repo/generated\", default-features = false }" \
        "dovecot-events-codegen = { path = \"$repo/codegen\", default-features = false }")" \
    "$(main_rs events "mod events {
    include!(concat!(env!(\"OUT_DIR\"), \"/dovecot_events.rs\"));
}")" \
    'fn main() {
    dovecot_events_codegen::Builder::new()
        .generate()
        .expect("generate the event types");
}'
make_crate d-v2_3_7 \
    "$(manifest d-v2_3_7 "dovecot-events = { path = \"$repo/generated\", default-features = false, features = [\"v2_3_7\"] }")" \
    "$(main_rs dovecot_events '')"

variants=(a-pregenerated b-schema-macro c-build-rs d-v2_3_7)
labels=("a  pre-generated (default features)" "b  schema! (no default; derive)" "c  build.rs (no default features)" "d  pre-generated, only v2_3_7")

echo "repository:  $repo"
echo "toolchain:   $("$cargo" --version), $(rustc --version)"
echo "cpus:        $(nproc 2>/dev/null || echo '?')"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
echo "runs:        $runs per variant, clean target directory each time"
echo

# Check every crate builds (and runs) once before timing anything, with
# the output shown if it fails.
for v in "${variants[@]}"; do
    (cd "$work/$v" && CARGO_TARGET_DIR="$work/$v/target" "$cargo" run --offline -q) ||
        { echo "error: $v does not build or run" >&2; exit 1; }
done

declare -A times cpus
TIMEFORMAT='%R %U %S'
for ((i = 1; i <= runs; i++)); do
    for v in "${variants[@]}"; do
        rm -rf "$work/$v/target"
        # `time` reports the wall time and the CPU time of cargo together
        # with the compilers it waited for.
        read -r wall user sys < <({ time (cd "$work/$v" &&
            CARGO_TARGET_DIR="$work/$v/target" "$cargo" build --offline -q); } 2>&1 >/dev/null | tail -1)
        cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
        times[$v]="${times[$v]:-} $wall"
        cpus[$v]="${cpus[$v]:-} $cpu"
        echo "run $i/$runs  $v  wall ${wall}s  cpu ${cpu}s" >&2
    done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END {
    if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
minmax() { tr ' ' '\n' | grep . | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'; }

percent() { awk -v m="$1" -v b="$2" 'BEGIN { printf "%+.0f%%", (m / b - 1) * 100 }'; }
base=$(median <<<"${times[a-pregenerated]}")
cpu_base=$(median <<<"${cpus[a-pregenerated]}")
echo
printf '%-36s %9s %13s %6s   %8s %6s\n' "variant (median of $runs)" "wall (s)" "range" "vs a" "CPU (s)" "vs a"
for idx in "${!variants[@]}"; do
    v=${variants[$idx]}
    m=$(median <<<"${times[$v]}")
    c=$(median <<<"${cpus[$v]}")
    printf '%-36s %9s %13s %6s   %8s %6s\n' "${labels[$idx]}" "$m" "$(minmax <<<"${times[$v]}")" \
        "$(percent "$m" "$base")" "$c" "$(percent "$c" "$cpu_base")"
done
echo
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
