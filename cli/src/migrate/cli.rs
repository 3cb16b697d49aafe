//! `migrate` and `lint --fix` on the command line.

use std::io::Write as _;

use super::{Migration, Options, migrate_file};
use crate::cli::{LintArgs, MigrateArgs, fail, lint, model, target};
use crate::exit::Exit;
use dovecot_events_codegen::Error;

/// Prints the diff or writes the files, then the summary on stderr.
fn finish(migration: &Migration, diff: bool) -> Result<(), Exit> {
    if diff {
        let _ = std::io::stdout().write_all(migration.diff().as_bytes());
    } else if let Err(err) = migration.write() {
        eprintln!("error: {err}");
        return Err(Exit::of_io(&err));
    }
    eprintln!("{}", migration.summary());
    Ok(())
}

/// `dovecot-eventgen migrate`: exit 0 when everything migrated, 1 when
/// something could not be, 2 for an unknown release, 3 on an I/O error.
pub(crate) fn migrate(args: &MigrateArgs) -> Exit {
    let model = match model(args.schema.as_deref()) {
        Ok(model) => model,
        Err(err) => return fail(&err),
    };
    let Some(from) = target(&model, Some(args.from), "--from") else {
        return Exit::BadInput;
    };
    let Some(to) = target(&model, Some(args.to), "--to") else {
        return Exit::BadInput;
    };
    let options = Options {
        from,
        to,
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
    if let Err(exit) = finish(&migration, args.diff) {
        return exit;
    }
    if migration.notes.is_empty() {
        Exit::Clean
    } else {
        Exit::Findings
    }
}

/// `dovecot-eventgen lint --fix`: applies the certain fixes, then lints
/// what is left (exit codes as `lint`).
pub(crate) fn fix(args: &LintArgs) -> Exit {
    let model = match model(args.schema.as_deref()) {
        Ok(model) => model,
        Err(err) => return fail(&err),
    };
    let Some(release) = target(&model, args.target, "--target") else {
        return Exit::BadInput;
    };
    let options = Options {
        from: release,
        to: release,
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
    if let Err(exit) = finish(&migration, args.diff) {
        return exit;
    }
    if args.diff {
        return Exit::Clean;
    }
    lint(&LintArgs {
        config: args.config.clone(),
        target: Some(release),
        format: args.format,
        schema: args.schema.clone(),
        fix: false,
        diff: false,
    })
}
