//! The Python methods, derived from the core's declaration (`authcore::ops`): one [`Method`] per overridable
//! operation (public ones and hooks) and per engine operation, with its snake_case name and its keyword
//! parameters. Both directions use it: a Python call's keyword arguments become the operation's camelCase JSON
//! object ([`Method::args`]), and a host override receives that object's keys as keyword arguments
//! ([`Method::kwargs`]). `authcore/__init__.py` installs these methods on the clients and the `original`
//! objects (with their `inspect` signatures) from [`METHODS`](self::methods_py).

use std::sync::OnceLock;

use authcore::ops::{camel_case, OperationInfo, OperationKind, ENGINE_OPERATIONS, OVERRIDABLE};
use authcore::schema::{whole_fields, InputField};
use authcore::{AuthError, EmailInput, ProviderUserInfo};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::to_pyerr;
use crate::types::{
    is_free_form, py_to_value, result_to_py, snake, snake_value, value_to_py, Keys,
};

/// A Python default, as the declaration's default reads in Python.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PyDefault {
    Required,
    None,
    True,
    False,
}

/// One keyword parameter: its Python name and its key in the operation's JSON object.
pub struct Param {
    pub py: String,
    pub wire: String,
    pub default: PyDefault,
    /// `py`, interned: a call site's keyword is usually this very object, so matching it needs no conversion.
    interned: PyOnceLock<Py<PyString>>,
}

impl Param {
    /// Whether keyword `k` is this parameter's interned name (no string conversion on the hot path).
    fn is(&self, k: &Bound<'_, PyString>) -> bool {
        let py = k.py();
        k.is(self
            .interned
            .get_or_init(py, || PyString::intern(py, &self.py).unbind()))
    }
}

/// One Python method of a declared operation.
pub struct Method {
    pub info: &'static OperationInfo,
    /// The snake_case name (`sign_in_up_post`).
    pub py: String,
    /// `None`: an engine operation's input taken whole (any keyword passes through; the core checks it).
    pub params: Option<Vec<Param>>,
}

/// Keys whose value is a caller's input: a host override receives it as a snake_case dict (the shape callers
/// pass), not as a `Record`.
const INPUT_KEYS: &[&str] = &["email", "accountInfo", "config", "userInfo"];

/// Structured fields of a whole input checked on their own, so a malformed one is `INVALID_INPUT` naming it
/// (as the core names a malformed `named` argument) rather than the whole input.
fn check_field(key: &str, v: &Value) -> Result<(), AuthError> {
    let r = match key {
        "email" if v.is_object() => EmailInput::deserialize(v).map(drop),
        "userInfo" => ProviderUserInfo::deserialize(v).map(drop),
        _ => return Ok(()),
    };
    r.map_err(|e| AuthError::invalid(key, e.to_string()))
}

fn declared_default(arg: &authcore::ops::ArgInfo) -> PyDefault {
    match arg.default {
        Some("true") => PyDefault::True,
        Some("false") => PyDefault::False,
        Some(_) => PyDefault::None,
        None if arg.ty.starts_with("Option") => PyDefault::None,
        None => PyDefault::Required,
    }
}

/// `wire`: the JSON key, which is not always `camel_case(py)` (`redirect_uri_info` is `redirectURIInfo`).
fn param(py: &str, wire: String, default: PyDefault) -> Param {
    Param {
        py: py.to_string(),
        wire,
        default,
        interned: PyOnceLock::new(),
    }
}

/// `schema`: the core's JSON Schema, which gives the fields of an input the declaration takes whole (Python
/// spreads them into keyword arguments). An engine operation's whole input stays open (`params: None`).
fn method(info: &'static OperationInfo, schema: &Value) -> Method {
    let params = if info.whole {
        whole_fields(schema, info.name)
            .filter(|_| info.kind != OperationKind::Engine)
            .map(|fields| {
                let default = |f: &InputField| match (&f.default, f.required) {
                    (_, true) => PyDefault::Required,
                    (Some(Value::Bool(true)), _) => PyDefault::True,
                    (Some(Value::Bool(false)), _) => PyDefault::False,
                    _ => PyDefault::None,
                };
                fields
                    .iter()
                    .map(|f| param(&snake(&f.name), f.name.clone(), default(f)))
                    .collect()
            })
    } else {
        Some(
            info.args
                .iter()
                .map(|a| param(a.name, camel_case(a.name), declared_default(a)))
                .collect(),
        )
    };
    Method {
        info,
        py: snake(info.name),
        params,
    }
}

/// Every overridable operation (in declaration order), then every engine operation.
pub fn methods() -> &'static [Method] {
    static METHODS: OnceLock<Vec<Method>> = OnceLock::new();
    METHODS.get_or_init(|| {
        let schema = authcore::schema::schema();
        OVERRIDABLE
            .iter()
            .chain(ENGINE_OPERATIONS)
            .map(|info| method(info, &schema))
            .collect()
    })
}

/// The engine operation whose Python name is `name`.
pub fn engine_method(name: &str) -> Option<&'static Method> {
    methods()
        .iter()
        .find(|m| m.info.kind == OperationKind::Engine && m.py == name)
}

impl Method {
    /// A call's keyword arguments as the operation's JSON object, and its `user_context`. An unknown keyword or
    /// a missing required one is a `TypeError`, as for any Python function; `None` for an optional parameter
    /// is the same as leaving it out.
    pub fn args<'py>(
        &self,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<(Value, Option<Bound<'py, PyAny>>)> {
        let mut map = Map::new();
        let mut user_context = None;
        let Some(kwargs) = kwargs else {
            if self.info.kind != OperationKind::Engine {
                self.check_required(&map)?;
            }
            return Ok((Value::Object(map), None));
        };
        let py = kwargs.py();
        // Engine operations keep the core's own checks (an unknown or missing argument is INVALID_INPUT).
        let strict = self.info.kind != OperationKind::Engine;
        for (k, v) in kwargs.iter() {
            let k = k.cast_into::<PyString>()?;
            let p = match self.params.iter().flatten().find(|p| p.is(&k)) {
                Some(p) => p,
                None => {
                    if k.is(pyo3::intern!(py, "user_context")) {
                        user_context = Some(v).filter(|v| !v.is_none());
                        continue;
                    }
                    let name = k.to_cow()?;
                    if name == "user_context" {
                        user_context = Some(v).filter(|v| !v.is_none());
                        continue;
                    }
                    match self.params.iter().flatten().find(|p| p.py == name) {
                        Some(p) => p,
                        None if strict && self.params.is_some() => {
                            return Err(PyTypeError::new_err(format!(
                                "{}() got an unexpected keyword argument '{name}'",
                                self.py
                            )));
                        }
                        None => {
                            map.insert(crate::types::camel(&name), py_to_value(&v, Keys::Camel)?);
                            continue;
                        }
                    }
                }
            };
            if v.is_none() && p.default != PyDefault::Required {
                continue;
            }
            let keys = if is_free_form(&p.wire) {
                Keys::Verbatim
            } else {
                Keys::Camel
            };
            let value = py_to_value(&v, keys)?;
            if self.info.whole {
                check_field(&p.wire, &value).map_err(|e| to_pyerr(py, e))?;
            }
            map.insert(p.wire.clone(), value);
        }
        if strict {
            self.check_required(&map)?;
        }
        Ok((Value::Object(map), user_context))
    }

    fn check_required(&self, map: &Map<String, Value>) -> PyResult<()> {
        let missing = self
            .params
            .iter()
            .flatten()
            .find(|p| p.default == PyDefault::Required && !map.contains_key(&p.wire));
        match missing {
            Some(p) => Err(PyTypeError::new_err(format!(
                "{}() missing required keyword argument: '{}'",
                self.py, p.py
            ))),
            None => Ok(()),
        }
    }

    /// The keyword arguments a host override receives for the JSON `args` (without `user_context`): every
    /// declared parameter (absent ones as `None`), plain values, inputs as snake_case dicts, core objects (user,
    /// session, ...) as `Record`s, user data verbatim.
    pub fn kwargs<'py>(&self, py: Python<'py>, args: Value) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let mut map = match args {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        for p in self.params.iter().flatten() {
            let v = map.remove(&p.wire).unwrap_or(Value::Null);
            d.set_item(&p.py, host_value(py, &p.wire, v)?)?;
        }
        for (k, v) in map {
            d.set_item(snake(&k), host_value(py, &k, v)?)?;
        }
        Ok(d)
    }
}

fn host_value(py: Python<'_>, key: &str, v: Value) -> PyResult<Py<PyAny>> {
    if INPUT_KEYS.contains(&key) {
        value_to_py(py, &snake_value(&v))
    } else if key == "accessTokenPayload" {
        value_to_py(py, &v)
    } else {
        result_to_py(py, v)
    }
}

/// `_native._METHODS`: `(index, name, kind, params, doc)` for each overridable operation, `params` being
/// `(name, default)` pairs with `default` one of `"required"`, `None`, `True`, `False`: what
/// `authcore/__init__.py` installs on the classes.
pub fn methods_py(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let out = PyList::empty(py);
    for (i, m) in methods().iter().enumerate() {
        let kind = match m.info.kind {
            OperationKind::Recipe => "recipe",
            OperationKind::Api => "api",
            OperationKind::Engine => continue,
        };
        let params = PyList::empty(py);
        for p in m.params.iter().flatten() {
            let default: Py<PyAny> = match p.default {
                PyDefault::Required => PyString::new(py, "required").into_any().unbind(),
                PyDefault::None => py.None(),
                PyDefault::True => pyo3::types::PyBool::new(py, true)
                    .to_owned()
                    .into_any()
                    .unbind(),
                PyDefault::False => pyo3::types::PyBool::new(py, false)
                    .to_owned()
                    .into_any()
                    .unbind(),
            };
            params.append((&p.py, default))?;
        }
        out.append((i, &m.py, kind, params, m.info.doc))?;
    }
    Ok(out)
}
