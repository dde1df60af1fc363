//! The one place where a core error becomes a JavaScript error.

use napi::bindgen_prelude::JsObjectValue;
use napi::{Env, Error, JsValue, Status};
use netns_core::{Error as CoreError, Subject};

/// Maps a core error to a JS `Error` carrying `code`, `errno`, `syscall`, `path`/`fd`/`target`,
/// the kernel's `detail` when it gave one, `capability` or `runDir` for a refusal, and `netnsKind`
/// (which tells the facade which exported class to make of it).
pub fn to_js(env: &Env, e: CoreError) -> Error {
    build(env, &e).unwrap_or_else(|fallback| fallback)
}

fn build(env: &Env, e: &CoreError) -> napi::Result<Error> {
    let mut obj = env.create_error(Error::new(Status::GenericFailure, e.to_string()))?;
    let (code, kind, path) = match e {
        CoreError::Sys { errno, .. } => (format!("{errno:?}"), "system", None),
        CoreError::RunDirNotWritable { errno, path, .. } => (format!("{errno:?}"), "system", Some(path)),
        CoreError::PathNotExist { path } => ("ERR_NETNS_PATH_NOT_EXIST".into(), "pathNotExist", Some(path)),
        CoreError::PathNotNs { path, .. } => ("ERR_NETNS_PATH_NOT_NS".into(), "pathNotNs", Some(path)),
        CoreError::WrongType { path, .. } => ("ERR_NETNS_WRONG_TYPE".into(), "wrongType", Some(path)),
        CoreError::InvalidName { .. } => ("ERR_NETNS_INVALID_NAME".into(), "invalidName", None),
        CoreError::UserNsUnavailable { .. } => ("ERR_NETNS_USERNS_UNAVAILABLE".into(), "usernsUnavailable", None),
    };
    obj.set_named_property("code", code)?;
    obj.set_named_property("netnsKind", kind)?;
    if let Some(path) = path {
        obj.set_named_property("path", path.to_string_lossy().into_owned())?;
    }
    match e {
        CoreError::Sys { errno, syscall, .. } | CoreError::RunDirNotWritable { errno, syscall, .. } => {
            // Node's system errors carry the negated errno (libuv's convention).
            obj.set_named_property("errno", -(*errno as i32))?;
            obj.set_named_property("syscall", *syscall)?;
        }
        CoreError::WrongType { nstype, .. } => obj.set_named_property("nstype", *nstype)?,
        CoreError::UserNsUnavailable { errno, syscall, cause } => {
            obj.set_named_property("errno", -(*errno as i32))?;
            obj.set_named_property("syscall", *syscall)?;
            obj.set_named_property("reason", cause.name())?;
            if let Some(sysctl) = cause.sysctl() {
                obj.set_named_property("sysctl", sysctl)?;
            }
            obj.set_named_property("fix", cause.fix())?;
        }
        _ => {}
    }
    match e {
        CoreError::Sys { subject: Subject::Path(p), .. } => obj.set_named_property("path", p.to_string_lossy().into_owned())?,
        CoreError::Sys { subject: Subject::Fd(fd), .. } => obj.set_named_property("fd", *fd)?,
        CoreError::Sys { subject: Subject::Name(n), .. } => obj.set_named_property("target", n.as_str())?,
        CoreError::RunDirNotWritable { run_dir, .. } => obj.set_named_property("runDir", run_dir.to_string_lossy().into_owned())?,
        _ => {}
    }
    if let CoreError::Sys { detail: Some(text), .. } = e {
        obj.set_named_property("detail", text.as_str())?;
    }
    if let Some(needed) = e.missing_capability() {
        obj.set_named_property("capability", needed.capability)?;
    }
    Ok(Error::from(obj.to_unknown()))
}
