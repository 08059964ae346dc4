//! `UserContext`: the core's per-request context as a dict-like Python object that keeps its identity.
//!
//! The core's `UserContext` carries the request's event flow, so the Python object an override receives must
//! wrap *the same* core context, and handing it back to `original.x(..., user_context=ctx)` must give the core
//! that context again (a clone of its `Arc`s). While a native call runs, its context is registered here under an
//! id stored in the core map; an override looks its Python object up by that id, so every override of one request
//! sees the very same object. JSON values live in the core map (the core and scripted overrides read them);
//! other Python values (a request object, a callable) are kept on the Python side, under the same identity.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use authcore::UserContext;
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use serde_json::{Map, Value};

use crate::types::{py_to_value, value_to_py, Keys};

/// The key of the registry id in the core map; hidden from Python.
pub const ID_KEY: &str = "__authcore_python_context__";

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

struct Slot {
    obj: Option<Py<PyUserContext>>,
    leases: usize,
}

static REGISTRY: Mutex<Option<HashMap<u64, Slot>>> = Mutex::new(None);

fn with_registry<R>(f: impl FnOnce(&mut HashMap<u64, Slot>) -> R) -> R {
    let mut guard = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    f(guard.get_or_insert_with(HashMap::new))
}

/// Keeps a context registered while a native call uses it.
pub struct Lease(u64);

impl Drop for Lease {
    fn drop(&mut self) {
        let gone = with_registry(|r| match r.get_mut(&self.0) {
            Some(slot) if slot.leases > 1 => {
                slot.leases -= 1;
                None
            }
            Some(_) => r.remove(&self.0),
            None => None,
        });
        // Released outside the lock.
        drop(gone);
    }
}

fn lease(id: u64, obj: Option<Py<PyUserContext>>) -> Lease {
    let stale = with_registry(|r| {
        let slot = r.entry(id).or_insert(Slot {
            obj: None,
            leases: 0,
        });
        slot.leases += 1;
        match (&slot.obj, obj) {
            (None, Some(o)) => {
                slot.obj = Some(o);
                None
            }
            (_, o) => o,
        }
    });
    drop(stale);
    Lease(id)
}

fn new_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

fn id_of(ctx: &UserContext) -> Option<u64> {
    ctx.get(ID_KEY).and_then(|v| v.as_u64())
}

/// The core context of a call's `user_context` argument (a `UserContext`, a dict, or `None`), registered when
/// Python overrides may need its Python object.
pub fn enter(
    py: Python<'_>,
    arg: Option<&Bound<'_, PyAny>>,
    hosted: bool,
) -> PyResult<(UserContext, Option<Lease>)> {
    let arg = arg.filter(|a| !a.is_none());
    if let Some(a) = arg {
        if let Ok(c) = a.cast::<PyUserContext>() {
            let ctx = c.get().ctx.clone();
            let l = hosted.then(|| lease(c.get().id, Some(c.clone().unbind())));
            return Ok((ctx, l));
        }
        let d = a.cast::<PyDict>().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(
                "user_context must be a UserContext, a dict or None",
            )
        })?;
        if !hosted {
            // Only the core reads it: its JSON values are what matters.
            let (map, _) = split(d)?;
            return Ok((UserContext::from_map(map), None));
        }
        let obj = Bound::new(py, PyUserContext::from_dict(py, Some(d))?)?;
        let ctx = obj.get().ctx.clone();
        let l = lease(obj.get().id, Some(obj.unbind()));
        return Ok((ctx, Some(l)));
    }
    let ctx = UserContext::new();
    if !hosted {
        return Ok((ctx, None));
    }
    let id = new_id();
    ctx.set(ID_KEY, Value::from(id));
    Ok((ctx, Some(lease(id, None))))
}

/// The Python object of a core context, for an override call: the registered one, created on first use.
pub fn py_context(py: Python<'_>, ctx: &UserContext) -> PyResult<Py<PyUserContext>> {
    let id = id_of(ctx);
    if let Some(id) = id {
        let found = with_registry(|r| {
            r.get(&id)
                .and_then(|s| s.obj.as_ref().map(|o| o.clone_ref(py)))
        });
        if let Some(o) = found {
            return Ok(o);
        }
    }
    let id = id.unwrap_or_else(|| {
        let id = new_id();
        ctx.set(ID_KEY, Value::from(id));
        id
    });
    let obj = Py::new(
        py,
        PyUserContext {
            ctx: ctx.clone(),
            id,
            extra: PyDict::new(py).unbind(),
        },
    )?;
    let clone = obj.clone_ref(py);
    with_registry(|r| {
        if let Some(slot) = r.get_mut(&id) {
            if slot.obj.is_none() {
                slot.obj = Some(clone);
            }
        }
    });
    Ok(obj)
}

/// A dict's JSON values, and the rest.
type Split<'py> = (Map<String, Value>, Vec<(String, Bound<'py, PyAny>)>);

/// Splits a dict into its JSON values and the rest.
fn split<'py>(d: &Bound<'py, PyDict>) -> PyResult<Split<'py>> {
    let mut map = Map::new();
    let mut rest = Vec::new();
    for (k, v) in d.iter() {
        let k: String = k.extract()?;
        match py_to_value(&v, Keys::Verbatim) {
            Ok(j) => {
                map.insert(k, j);
            }
            Err(_) => rest.push((k, v)),
        }
    }
    Ok((map, rest))
}

/// The per-request context handed to every override (`user_context=`). Dict-like; pass the same object to
/// `original.x(..., user_context=ctx)` (and to nested calls) to stay in the same request.
#[pyclass(frozen, module = "authcore", name = "UserContext", mapping)]
pub struct PyUserContext {
    ctx: UserContext,
    id: u64,
    /// Values that are not JSON (kept on the Python side only).
    extra: Py<PyDict>,
}

impl PyUserContext {
    fn from_dict(py: Python<'_>, data: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let extra = PyDict::new(py);
        let mut map = Map::new();
        if let Some(d) = data {
            let (m, rest) = split(d)?;
            map = m;
            for (k, v) in rest {
                extra.set_item(k, v)?;
            }
        }
        let id = new_id();
        map.insert(ID_KEY.into(), Value::from(id));
        Ok(PyUserContext {
            ctx: UserContext::from_map(map),
            id,
            extra: extra.unbind(),
        })
    }

    /// The JSON part, without the registry id.
    pub fn json(&self) -> Map<String, Value> {
        let mut m = self.ctx.to_map();
        m.remove(ID_KEY);
        m
    }
}

#[pymethods]
impl PyUserContext {
    #[new]
    #[pyo3(signature = (data = None))]
    fn py_new(py: Python<'_>, data: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        Self::from_dict(py, data)
    }

    fn __getitem__(&self, py: Python<'_>, key: &str) -> PyResult<Py<PyAny>> {
        if key == ID_KEY {
            return Err(PyKeyError::new_err(key.to_string()));
        }
        if let Some(v) = self.extra.bind(py).get_item(key)? {
            return Ok(v.unbind());
        }
        match self.ctx.get(key) {
            Some(v) => value_to_py(py, &v),
            None => Err(PyKeyError::new_err(key.to_string())),
        }
    }

    fn __setitem__(&self, key: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        if key == ID_KEY {
            return Err(PyKeyError::new_err(format!("{key} is reserved")));
        }
        let extra = self.extra.bind(value.py());
        match py_to_value(value, Keys::Verbatim) {
            Ok(v) => {
                if extra.contains(key)? {
                    extra.del_item(key)?;
                }
                self.ctx.set(key, v);
            }
            Err(_) => {
                self.remove_json(key);
                extra.set_item(key, value)?;
            }
        }
        Ok(())
    }

    fn __delitem__(&self, py: Python<'_>, key: &str) -> PyResult<()> {
        let extra = self.extra.bind(py);
        let in_extra = extra.contains(key)?;
        if in_extra {
            extra.del_item(key)?;
        }
        if !self.remove_json(key) && !in_extra {
            return Err(PyKeyError::new_err(key.to_string()));
        }
        Ok(())
    }

    fn __contains__(&self, py: Python<'_>, key: &str) -> PyResult<bool> {
        Ok(key != ID_KEY && (self.extra.bind(py).contains(key)? || self.ctx.get(key).is_some()))
    }

    fn __len__(&self, py: Python<'_>) -> usize {
        self.json().len() + self.extra.bind(py).len()
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(PyList::new(py, self.keys(py)?)?
            .call_method0("__iter__")?
            .unbind())
    }

    /// The value of `key`, or `default`.
    #[pyo3(signature = (key, default = None))]
    fn get(&self, py: Python<'_>, key: &str, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        if self.__contains__(py, key)? {
            self.__getitem__(py, key)
        } else {
            Ok(default.unwrap_or_else(|| py.None()))
        }
    }

    fn keys(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let mut keys: Vec<String> = self.json().keys().cloned().collect();
        for k in self.extra.bind(py).keys() {
            keys.push(k.cast::<PyString>()?.to_cow()?.into_owned());
        }
        Ok(keys)
    }

    fn items(&self, py: Python<'_>) -> PyResult<Vec<(String, Py<PyAny>)>> {
        self.keys(py)?
            .into_iter()
            .map(|k| Ok((k.clone(), self.__getitem__(py, &k)?)))
            .collect()
    }

    /// A plain dict copy (JSON values converted, other values as they are).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let d = PyDict::new(py);
        for (k, v) in self.json() {
            d.set_item(k, value_to_py(py, &v)?)?;
        }
        d.update(self.extra.bind(py).as_mapping())?;
        Ok(d.into_any().unbind())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let d = self.to_dict(py)?;
        Ok(format!("UserContext({})", d.bind(py).repr()?))
    }
}

impl PyUserContext {
    /// Removes a JSON key; true if it was there.
    fn remove_json(&self, key: &str) -> bool {
        let mut m = self.ctx.to_map();
        let had = m.remove(key).is_some();
        if had {
            self.ctx.replace(m);
        }
        had
    }
}
