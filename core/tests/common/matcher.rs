//! The scenario matcher: `$capture`, `$ref`, `$any`, `$absent`, `$set`, `$len`, `$ne`, `$notIn`,
//! `$startsWith`, `$gt`, `$gte`, `$keys`.

use std::collections::HashMap;

use serde_json::Value;

pub type Captures = HashMap<String, Value>;

/// Replace `{"$ref": name}` anywhere in `v` by the captured value.
pub fn resolve(v: &Value, caps: &Captures) -> Result<Value, String> {
    match v {
        Value::Object(o) if o.len() == 1 && o.contains_key("$ref") => {
            let name = o["$ref"].as_str().ok_or("$ref needs a string")?;
            caps.get(name)
                .cloned()
                .ok_or_else(|| format!("nothing captured as '{name}'"))
        }
        Value::Object(o) => {
            let mut out = serde_json::Map::new();
            for (k, x) in o {
                out.insert(k.clone(), resolve(x, caps)?);
            }
            Ok(Value::Object(out))
        }
        Value::Array(a) => a
            .iter()
            .map(|x| resolve(x, caps))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn eq(a: &Value, b: &Value) -> bool {
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Match `actual` (None = key missing) against `expected`, at `path`.
pub fn matches(
    expected: &Value,
    actual: Option<&Value>,
    caps: &mut Captures,
    path: &str,
) -> Result<(), String> {
    let present = actual.filter(|a| !a.is_null());
    if let Value::Object(o) = expected {
        if o.len() == 1 {
            let (k, arg) = o.iter().next().ok_or("empty")?;
            match k.as_str() {
                "$capture" => {
                    let name = arg.as_str().ok_or("$capture needs a string")?;
                    let a = present.ok_or_else(|| {
                        format!("{path}: expected a value to capture as '{name}'")
                    })?;
                    if let Some(prev) = caps.get(name) {
                        if !eq(prev, a) {
                            return Err(format!("{path}: '{name}' was {prev}, now {a}"));
                        }
                    } else {
                        caps.insert(name.to_string(), a.clone());
                    }
                    return Ok(());
                }
                "$ref" => {
                    let want = resolve(expected, caps)?;
                    return match actual {
                        Some(a) if eq(&want, a) => Ok(()),
                        _ => Err(format!(
                            "{path}: expected {want} (ref), got {}",
                            show(actual)
                        )),
                    };
                }
                "$any" => {
                    return present
                        .map(|_| ())
                        .ok_or_else(|| format!("{path}: expected a value, got {}", show(actual)))
                }
                "$absent" => {
                    return match present {
                        None => Ok(()),
                        Some(a) => Err(format!("{path}: expected absent, got {a}")),
                    }
                }
                "$len" => {
                    let n = arg.as_u64().ok_or("$len needs a number")? as usize;
                    let len = match present {
                        Some(Value::Array(a)) => a.len(),
                        Some(Value::String(s)) => s.chars().count(),
                        _ => {
                            return Err(format!(
                                "{path}: expected array of length {n}, got {}",
                                show(actual)
                            ))
                        }
                    };
                    return if len == n {
                        Ok(())
                    } else {
                        Err(format!("{path}: expected length {n}, got {len}"))
                    };
                }
                "$set" => {
                    let want = arg.as_array().ok_or("$set needs an array")?;
                    let Some(Value::Array(got)) = present else {
                        return Err(format!("{path}: expected array, got {}", show(actual)));
                    };
                    if want.len() != got.len() {
                        return Err(format!(
                            "{path}: expected {} elements (any order), got {}: {}",
                            want.len(),
                            got.len(),
                            Value::Array(got.clone())
                        ));
                    }
                    let mut used = vec![false; got.len()];
                    for (i, w) in want.iter().enumerate() {
                        let mut found = false;
                        for (j, g) in got.iter().enumerate() {
                            if used[j] {
                                continue;
                            }
                            let mut trial = caps.clone();
                            if matches(w, Some(g), &mut trial, &format!("{path}[{j}]")).is_ok() {
                                *caps = trial;
                                used[j] = true;
                                found = true;
                                break;
                            }
                        }
                        if !found {
                            return Err(format!(
                                "{path}: no element matches expected[{i}] = {w} in {}",
                                Value::Array(got.clone())
                            ));
                        }
                    }
                    return Ok(());
                }
                "$ne" => {
                    let mut trial = caps.clone();
                    return match matches(arg, actual, &mut trial, path) {
                        Ok(()) => Err(format!("{path}: expected not {arg}, got {}", show(actual))),
                        Err(_) => Ok(()),
                    };
                }
                "$notIn" => {
                    for m in arg.as_array().ok_or("$notIn needs an array")? {
                        let mut trial = caps.clone();
                        if matches(m, actual, &mut trial, path).is_ok() {
                            return Err(format!("{path}: {} matches excluded {m}", show(actual)));
                        }
                    }
                    return Ok(());
                }
                "$startsWith" => {
                    let p = arg.as_str().ok_or("$startsWith needs a string")?;
                    return match present.and_then(|a| a.as_str()) {
                        Some(s) if s.starts_with(p) => Ok(()),
                        _ => Err(format!(
                            "{path}: expected a string starting with {p:?}, got {}",
                            show(actual)
                        )),
                    };
                }
                "$gt" | "$gte" => {
                    let bound = num(&resolve(arg, caps)?).ok_or("bound is not a number")?;
                    let got = present.and_then(num).ok_or_else(|| {
                        format!("{path}: expected a number, got {}", show(actual))
                    })?;
                    let ok = if k == "$gt" {
                        got > bound
                    } else {
                        got >= bound
                    };
                    return if ok {
                        Ok(())
                    } else {
                        Err(format!("{path}: {got} is not {k} {bound}"))
                    };
                }
                _ => {}
            }
        }
        let Some(Value::Object(got)) = actual else {
            return Err(format!("{path}: expected object, got {}", show(actual)));
        };
        if let Some(keys) = o.get("$keys") {
            let mut want: Vec<&str> = keys
                .as_array()
                .ok_or("$keys needs an array")?
                .iter()
                .filter_map(|k| k.as_str())
                .collect();
            let mut have: Vec<&str> = got.keys().map(|k| k.as_str()).collect();
            want.sort();
            have.sort();
            if want != have {
                return Err(format!("{path}: expected keys {want:?}, got {have:?}"));
            }
        }
        for (k, w) in o.iter().filter(|(k, _)| k.as_str() != "$keys") {
            matches(w, got.get(k), caps, &format!("{path}.{k}"))?;
        }
        return Ok(());
    }
    if let Value::Array(want) = expected {
        let Some(Value::Array(got)) = actual else {
            return Err(format!("{path}: expected array, got {}", show(actual)));
        };
        if want.len() != got.len() {
            return Err(format!(
                "{path}: expected {} elements, got {}: {}",
                want.len(),
                got.len(),
                Value::Array(got.clone())
            ));
        }
        for (i, (w, g)) in want.iter().zip(got).enumerate() {
            matches(w, Some(g), caps, &format!("{path}[{i}]"))?;
        }
        return Ok(());
    }
    match actual {
        Some(a) if eq(expected, a) => Ok(()),
        None if expected.is_null() => Ok(()),
        _ => Err(format!("{path}: expected {expected}, got {}", show(actual))),
    }
}

fn show(v: Option<&Value>) -> String {
    v.map(|x| x.to_string())
        .unwrap_or_else(|| "<missing>".into())
}
