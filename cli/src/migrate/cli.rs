//! `migrate` and `lint --fix` on the command line.

use std::io::Write as _;
use std::process::ExitCode;

use super::{Migration, Options, migrate_file};
use crate::cli::{LintArgs, MigrateArgs, fail, lint, model};
use dovecot_events_codegen::{Error, EventModel, Version};

/// Exit 2 with the known releases when the schema does not know `v`.
pub(crate) fn unknown_release(model: &EventModel, v: Version) -> Option<ExitCode> {
    if model.versions.contains(&v) {
        return None;
    }
    eprintln!(
        "error: {v} is not a release the schema knows; known releases: {}",
        model
            .versions
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    Some(ExitCode::from(2))
}

/// Prints the diff or writes the files, then the summary on stderr.
fn finish(migration: &Migration, diff: bool) -> Result<(), ExitCode> {
    if diff {
        let _ = std::io::stdout().write_all(migration.diff().as_bytes());
    } else if let Err(err) = migration.write() {
        eprintln!("error: {err}");
        return Err(ExitCode::from(1));
    }
    eprintln!("{}", migration.summary());
    Ok(())
}

/// `dovecot-eventgen migrate`: exit 0 when everything migrated, 1 when
/// something could not be (or on an I/O error), 2 for an unknown release.
pub(crate) fn migrate(args: &MigrateArgs) -> ExitCode {
    let model = match model(args.schema.as_deref()) {
        Ok(model) => model,
        Err(err) => return fail(&err),
    };
    for v in [args.from, args.to] {
        if let Some(code) = unknown_release(&model, v) {
            return code;
        }
    }
    let options = Options {
        from: args.from,
        to: args.to,
        comment_unmigratable: args.comment_unmigratable,
        fix: false,
    };
    let migration = match migrate_file(&model, &args.config, options) {
        Ok(m) => m,
        Err(source) => {
            return fail(&Error::Io {
                path: args.config.clone(),
                source,
            });
        }
    };
    if let Err(code) = finish(&migration, args.diff) {
        return code;
    }
    if migration.notes.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `dovecot-eventgen lint --fix`: applies the certain fixes, then lints
/// what is left (exit codes as `lint`).
pub(crate) fn fix(args: &LintArgs) -> ExitCode {
    let model = match model(args.schema.as_deref()) {
        Ok(model) => model,
        Err(err) => return fail(&err),
    };
    if let Some(code) = unknown_release(&model, args.target) {
        return code;
    }
    let options = Options {
        from: args.target,
        to: args.target,
        comment_unmigratable: false,
        fix: true,
    };
    let migration = match migrate_file(&model, &args.config, options) {
        Ok(m) => m,
        Err(source) => {
            return fail(&Error::Io {
                path: args.config.clone(),
                source,
            });
        }
    };
    if let Err(code) = finish(&migration, args.diff) {
        return code;
    }
    if args.diff {
        return ExitCode::SUCCESS;
    }
    lint(&LintArgs {
        config: args.config.clone(),
        target: args.target,
        format: args.format,
        schema: args.schema.clone(),
        fix: false,
        diff: false,
    })
}
