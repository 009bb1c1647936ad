/* connectless.native._avro: AvroConverter's common case in C, a run of Confluent-framed messages per call.
 *
 * bind(struct_type)                                  the Struct class to build (connectless.native binds it)
 * decode_run(datas, program, schema, fallback[, pair_type])   framed messages -> Structs of `schema` (or
 *                                                    pair_type(schema, Struct) pairs: SchemaAndValues)
 * decode_one(payload, program, schema)               one message's payload -> its Struct, or None for fastavro
 * flat_dict(names, values)                           a flat Struct's {name: value} (data/json_values.to_json_line)
 * struct_run(pairs, schema, final_schema, ops)       a chain's struct steps over a run of (schema, Struct) pairs
 * bind_records(raw_type, sink_type)                  RawRecord and SinkRecord (connectless.native binds them)
 * sink_run(raws, keys, schema, values, no_headers)    the run's SinkRecords of a schemaless key and a Struct value
 * struct_lines(records, start, limit, names_of, each, dumps, default, option)   a run of Struct values' JSON lines
 * header_run(datas, start, header)                   where the run of messages starting with `header` ends
 * raw_columns(raws, topic)                           the run's keys and values, when all its raws are of `topic`
 *
 * The common case is a writer schema that is a flat record of null/boolean/int/long/float/double/string/bytes
 * fields and ["null", primitive] unions (no logical types): `program` has one byte per field, its kind in the low
 * nibble and where a union puts null in the high one (avro_native.program_of writes it). Each message's payload
 * (after the 5 header bytes) is read field by field straight into the Struct's values list, with the values
 * fastavro's schemaless_reader gives (the same Python types; bytes after the record are ignored, as fastavro and
 * Confluent's deserializer, which hands Avro's BinaryDecoder the whole buffer, ignore them).
 *
 * Anything the reader does not read exactly (a payload cut short, an int past 32 bits or 5 bytes, a long past 10
 * bytes, a boolean byte other than 0 or 1, a negative length, UTF-8 that Python's strict decoder refuses, a union
 * index other than 0 or 1, a message that is not bytes) is handed to `fallback(message)`, the fastavro path, for
 * that message alone: its result or its exception is the converter's, as without this module.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <string.h>

#if PY_VERSION_HEX < 0x030B0000
#error "Python 3.11+ is required"
#endif
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "Avro's float and double are little-endian: this reader copies them as they are"
#endif

/* A field's kind (the program byte's low nibble) and where its union has null (the high nibble). */
enum { K_BOOLEAN = 1, K_INT, K_LONG, K_FLOAT, K_DOUBLE, K_STRING, K_BYTES, K_LAST = K_BYTES };
enum { U_NONE = 0, U_NULL_FIRST = 1, U_NULL_SECOND = 2 };
#define HEADER 5 /* magic byte and schema id */

static PyTypeObject *struct_type;
static Py_ssize_t off_schema, off_values;

#define SLOT(obj, off) (*(PyObject **)((char *)(obj) + (off)))

static int slot_offset(PyTypeObject *type, const char *name, Py_ssize_t *out) {
    PyObject *descr = PyObject_GetAttrString((PyObject *)type, name);
    if (descr == NULL) return -1;
    int ok = Py_TYPE(descr) == &PyMemberDescr_Type;
    PyMemberDef *member = ok ? ((PyMemberDescrObject *)descr)->d_member : NULL;
    if (!ok || member->type != T_OBJECT_EX || (member->flags & READONLY)) {
        PyErr_Format(PyExc_TypeError, "%s.%s is not a writable object slot", type->tp_name, name);
        Py_DECREF(descr);
        return -1;
    }
    *out = member->offset;
    Py_DECREF(descr);
    return 0;
}

static PyObject *bind(PyObject *self, PyObject *type) {
    if (!PyType_Check(type)) {
        PyErr_SetString(PyExc_TypeError, "bind() takes the Struct class");
        return NULL;
    }
    PyTypeObject *t = (PyTypeObject *)type;
    if (t->tp_dictoffset != 0 || t->tp_new != PyBaseObject_Type.tp_new || t->tp_alloc == NULL ||
        !(t->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        PyErr_Format(PyExc_TypeError, "%s is not a plain slots class", t->tp_name);
        return NULL;
    }
    Py_ssize_t schema_at, values_at;
    if (slot_offset(t, "schema", &schema_at) < 0 || slot_offset(t, "_values", &values_at) < 0) return NULL;
    off_schema = schema_at;
    off_values = values_at;
    Py_INCREF(type);
    Py_XSETREF(struct_type, t);
    Py_RETURN_NONE;
}

/* A zigzag varint of at most `max_bytes` bytes; -1 when cut short or longer (or, at 10 bytes, past 64 bits). */
static inline int read_varint(const uint8_t **at, const uint8_t *end, int max_bytes, int64_t *out) {
    const uint8_t *p = *at;
    uint64_t n = 0;
    for (int i = 0; i < max_bytes; i++) {
        if (p >= end) return -1;
        uint8_t b = *p++;
        if (i == 9 && b > 1) return -1;
        n |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *at = p;
            *out = (int64_t)(n >> 1) ^ -(int64_t)(n & 1);
            return 0;
        }
    }
    return -1;
}

/* One field's value (a new reference), or NULL with no exception set when the bytes are not read exactly. */
static PyObject *read_value(int kind, const uint8_t **at, const uint8_t *end) {
    const uint8_t *p = *at;
    int64_t n;
    switch (kind) {
    case K_BOOLEAN:
        if (p >= end || *p > 1) return NULL;
        *at = p + 1;
        return PyBool_FromLong(*p);
    case K_INT:
        if (read_varint(at, end, 5, &n) < 0 || n < INT32_MIN || n > INT32_MAX) return NULL;
        return PyLong_FromLongLong(n);
    case K_LONG:
        if (read_varint(at, end, 10, &n) < 0) return NULL;
        return PyLong_FromLongLong(n);
    case K_FLOAT: {
        float f;
        if (end - p < 4) return NULL;
        memcpy(&f, p, 4);
        *at = p + 4;
        return PyFloat_FromDouble((double)f);
    }
    case K_DOUBLE: {
        double d;
        if (end - p < 8) return NULL;
        memcpy(&d, p, 8);
        *at = p + 8;
        return PyFloat_FromDouble(d);
    }
    case K_STRING:
    case K_BYTES: {
        if (read_varint(&p, end, 10, &n) < 0 || n < 0 || n > end - p) return NULL;
        PyObject *value = kind == K_STRING ? PyUnicode_DecodeUTF8((const char *)p, (Py_ssize_t)n, NULL)
                                           : PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)n);
        if (value == NULL) {
            if (kind == K_STRING && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) PyErr_Clear();
            return NULL; /* invalid UTF-8 goes to fastavro; anything else (no memory) stays raised */
        }
        *at = p + n;
        return value;
    }
    }
    return NULL;
}

/* The Struct of the payload p..end, or NULL: with an exception set on a real error, without one when fastavro must
 * read it. */
static PyObject *read_struct(const uint8_t *p, const uint8_t *end, const unsigned char *program, Py_ssize_t count,
                             PyObject *schema) {
    PyObject *values = PyList_New(count);
    if (values == NULL) return NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        int kind = program[i] & 0x0f, nulls = program[i] >> 4;
        PyObject *value;
        if (nulls != U_NONE) {
            int64_t branch;
            if (read_varint(&p, end, 10, &branch) < 0 || (branch != 0 && branch != 1)) goto handed_back;
            if (branch == (nulls == U_NULL_FIRST ? 0 : 1)) {
                PyList_SET_ITEM(values, i, Py_NewRef(Py_None));
                continue;
            }
        }
        value = read_value(kind, &p, end);
        if (value == NULL) goto handed_back;
        PyList_SET_ITEM(values, i, value);
    }
    PyObject *result = struct_type->tp_alloc(struct_type, 0);
    if (result == NULL) {
        Py_DECREF(values);
        return NULL;
    }
    SLOT(result, off_schema) = Py_NewRef(schema);
    SLOT(result, off_values) = values;
    return result;
handed_back:
    Py_DECREF(values);
    return NULL;
}

static int check_program(const unsigned char *program, Py_ssize_t count) {
    if (struct_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "connectless.native._avro: bind() was not called");
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        if ((program[i] & 0x0f) < K_BOOLEAN || (program[i] & 0x0f) > K_LAST || (program[i] >> 4) > U_NULL_SECOND) {
            PyErr_Format(PyExc_ValueError, "invalid program byte %d for field %zd", program[i], i);
            return -1;
        }
    }
    return 0;
}

/* decode_one(payload, program, schema) -> the Struct of one payload (the bytes after the header, any buffer), or
 * None where fastavro must read it. */
static PyObject *decode_one(PyObject *self, PyObject *args) {
    Py_buffer payload;
    PyObject *schema;
    const unsigned char *program;
    Py_ssize_t count;
    if (!PyArg_ParseTuple(args, "y*y#O", &payload, &program, &count, &schema)) return NULL;
    PyObject *value = NULL;
    if (check_program(program, count) == 0) {
        const uint8_t *start = (const uint8_t *)payload.buf;
        value = read_struct(start, start + payload.len, program, count, schema);
        if (value == NULL && !PyErr_Occurred()) value = Py_NewRef(Py_None);
    }
    PyBuffer_Release(&payload);
    return value;
}

/* (schema, value) as an instance of `pair_type`, a tuple subclass with no fields of its own (SchemaAndValue): what
 * tuple.__new__(pair_type, (schema, value)) makes. Steals `value`. */
static PyObject *pair_of(PyTypeObject *pair_type, PyObject *schema, PyObject *value) {
#if PY_VERSION_HEX < 0x030E0000 /* tuples have no other fields to set up before 3.14 */
    PyObject *pair = pair_type->tp_alloc(pair_type, 2);
    if (pair == NULL) {
        Py_DECREF(value);
        return NULL;
    }
    PyTuple_SET_ITEM(pair, 0, Py_NewRef(schema));
    PyTuple_SET_ITEM(pair, 1, value);
    return pair;
#else
    PyObject *items = PyTuple_Pack(2, schema, value);
    Py_DECREF(value);
    if (items == NULL) return NULL;
    PyObject *args = PyTuple_Pack(1, items);
    Py_DECREF(items);
    if (args == NULL) return NULL;
    PyObject *pair = PyTuple_Type.tp_new(pair_type, args, NULL);
    Py_DECREF(args);
    return pair;
#endif
}

static PyObject *decode_run(PyObject *self, PyObject *args) {
    PyObject *datas, *schema, *fallback, *pairs = Py_None;
    const unsigned char *program;
    Py_ssize_t count;
    if (!PyArg_ParseTuple(args, "Oy#OO|O", &datas, &program, &count, &schema, &fallback, &pairs)) return NULL;
    if (check_program(program, count) < 0) return NULL;
    PyTypeObject *pair_type = NULL;
    if (pairs != Py_None) {
        if (!PyType_Check(pairs) || !PyType_IsSubtype((PyTypeObject *)pairs, &PyTuple_Type) ||
            ((PyTypeObject *)pairs)->tp_basicsize != PyTuple_Type.tp_basicsize ||
            ((PyTypeObject *)pairs)->tp_alloc == NULL) {
            PyErr_SetString(PyExc_TypeError, "decode_run(): pair_type must be a tuple subclass without fields");
            return NULL;
        }
        pair_type = (PyTypeObject *)pairs;
    }
    PyObject *seq = PySequence_Fast(datas, "decode_run() takes a sequence of messages");
    if (seq == NULL) return NULL;
    Py_ssize_t size = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *out = PyList_New(size);
    if (out == NULL) goto failed;
    for (Py_ssize_t i = 0; i < size; i++) {
        PyObject *value = NULL, *message = items[i];
        if (PyBytes_CheckExact(message) && PyBytes_GET_SIZE(message) >= HEADER) {
            const uint8_t *start = (const uint8_t *)PyBytes_AS_STRING(message);
            value = read_struct(start + HEADER, start + PyBytes_GET_SIZE(message), program, count, schema);
        }
        if (value == NULL) {
            if (PyErr_Occurred()) goto failed;
            value = PyObject_CallOneArg(fallback, items[i]);
            if (value == NULL) goto failed;
        }
        if (pair_type != NULL && (value = pair_of(pair_type, schema, value)) == NULL) goto failed;
        PyList_SET_ITEM(out, i, value);
    }
    Py_DECREF(seq);
    return out;
failed:
    Py_XDECREF(out);
    Py_DECREF(seq);
    return NULL;
}

/* flat_dict(names, values) -> dict(zip(names, values)) for a tuple of field names and a list of as many values:
 * the dict orjson writes a flat Struct's JSON line from (dict(zip()) costs about 3 times as much for 10 fields). */
static PyObject *flat_dict(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyTuple_CheckExact(args[0])) {
        PyErr_SetString(PyExc_TypeError, "flat_dict() takes a tuple of names and a sequence of values");
        return NULL;
    }
    PyObject *names = args[0], *values = PySequence_Fast(args[1], "flat_dict() takes a sequence of values");
    if (values == NULL) return NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(names);
    PyObject *out = NULL;
    if (PySequence_Fast_GET_SIZE(values) != count) {
        PyErr_Format(PyExc_ValueError, "flat_dict(): %zd names for %zd values", count, PySequence_Fast_GET_SIZE(values));
        goto done;
    }
    PyObject **items = PySequence_Fast_ITEMS(values);
    if ((out = _PyDict_NewPresized(count)) == NULL) goto done;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (PyDict_SetItem(out, PyTuple_GET_ITEM(names, i), items[i]) < 0) {
            Py_CLEAR(out);
            goto done;
        }
    }
done:
    Py_DECREF(values);
    return out;
}

/* struct_run(pairs, schema, final_schema, ops) -> [Struct or None]: a chain of value rewrites over a run
 * (transforms/chain.py _FusedRewrites.struct_run), as its struct steps do it record by record. Each pair whose
 * schema is `schema` and whose value is a Struct of that schema gets a new Struct of `final_schema`: a copy of
 * its values changed by `ops` in order, each one of
 *   (OP_APPEND, value)                        append value (InsertField's static field)
 *   (OP_CONVERT, index, direct, convert)      values[index] = direct(v) for an exact int v when direct is not None,
 *                                             else convert(v) (TimestampConverter's field)
 * Any other pair, and a pair where a call raises an Exception, gets None: the caller runs the chain on that
 * record in Python, where the error is raised again and handled as without this function. */
enum { OP_APPEND = 0, OP_CONVERT = 1 };

static int check_ops(PyObject *ops) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(ops); i++) {
        PyObject *op = PyTuple_GET_ITEM(ops, i);
        long code = PyTuple_CheckExact(op) && PyTuple_GET_SIZE(op) >= 2 ? PyLong_AsLong(PyTuple_GET_ITEM(op, 0)) : -1;
        if (code == -1 && PyErr_Occurred()) return -1;
        int ok = (code == OP_APPEND && PyTuple_GET_SIZE(op) == 2) ||
                 (code == OP_CONVERT && PyTuple_GET_SIZE(op) == 4 && PyLong_CheckExact(PyTuple_GET_ITEM(op, 1)) &&
                  PyCallable_Check(PyTuple_GET_ITEM(op, 3)) &&
                  (PyTuple_GET_ITEM(op, 2) == Py_None || PyCallable_Check(PyTuple_GET_ITEM(op, 2))));
        if (!ok) {
            PyErr_Format(PyExc_ValueError, "struct_run(): op %zd is not (0, value) or (1, index, direct, convert)", i);
            return -1;
        }
    }
    return 0;
}

/* The new Struct of one pair, or NULL: with an exception set on a real error, without one for Python's path. */
static PyObject *run_one(PyObject *pair, PyObject *schema, PyObject *final_schema, PyObject *ops) {
    if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 || PyTuple_GET_ITEM(pair, 0) != schema) return NULL;
    PyObject *value = PyTuple_GET_ITEM(pair, 1);
    if (Py_TYPE(value) != struct_type || SLOT(value, off_schema) != schema) return NULL;
    PyObject *old = SLOT(value, off_values);
    if (old == NULL || !PyList_CheckExact(old)) return NULL;
    PyObject *values = PyList_GetSlice(old, 0, PyList_GET_SIZE(old));
    if (values == NULL) return NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(ops); i++) {
        PyObject *op = PyTuple_GET_ITEM(ops, i);
        if (PyTuple_GET_SIZE(op) == 2) {
            if (PyList_Append(values, PyTuple_GET_ITEM(op, 1)) < 0) goto failed;
            continue;
        }
        Py_ssize_t index = PyLong_AsSsize_t(PyTuple_GET_ITEM(op, 1));
        if (index < 0 || index >= PyList_GET_SIZE(values)) {
            if (PyErr_Occurred()) goto failed;
            goto handed_back;
        }
        PyObject *current = PyList_GET_ITEM(values, index), *direct = PyTuple_GET_ITEM(op, 2);
        PyObject *converted = PyObject_CallOneArg(
            direct != Py_None && PyLong_CheckExact(current) ? direct : PyTuple_GET_ITEM(op, 3), current);
        if (converted == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_Exception)) goto failed;
            PyErr_Clear();
            goto handed_back;
        }
        PyList_SetItem(values, index, converted); /* steals converted, releases current */
    }
    PyObject *result = struct_type->tp_alloc(struct_type, 0);
    if (result == NULL) goto failed;
    SLOT(result, off_schema) = Py_NewRef(final_schema);
    SLOT(result, off_values) = values;
    return result;
handed_back:
failed:
    Py_DECREF(values);
    return NULL;
}

static PyObject *struct_run(PyObject *self, PyObject *args) {
    PyObject *pairs, *schema, *final_schema, *ops;
    if (!PyArg_ParseTuple(args, "OOOO!", &pairs, &schema, &final_schema, &PyTuple_Type, &ops)) return NULL;
    if (struct_type == NULL) return PyErr_Format(PyExc_RuntimeError, "bind() first");
    if (check_ops(ops) < 0) return NULL;
    PyObject *seq = PySequence_Fast(pairs, "struct_run() takes a sequence of (schema, value) pairs");
    if (seq == NULL) return NULL;
    Py_ssize_t size = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *out = PyList_New(size);
    if (out == NULL) goto failed;
    for (Py_ssize_t i = 0; i < size; i++) {
        PyObject *value = run_one(items[i], schema, final_schema, ops);
        if (value == NULL) {
            if (PyErr_Occurred()) goto failed;
            value = Py_NewRef(Py_None);
        }
        PyList_SET_ITEM(out, i, value);
    }
    Py_DECREF(seq);
    return out;
failed:
    Py_XDECREF(out);
    Py_DECREF(seq);
    return NULL;
}

/* RawRecord's and SinkRecord's slots that sink_run reads and fills (their dataclass field names). */
enum { RA_TOPIC, RA_PARTITION, RA_OFFSET, RA_TIMESTAMP, RA_TS_TYPE, RA_HEADERS, RA_KEY, RA_VALUE, RA_COUNT };
static const char *raw_names[RA_COUNT] = {"topic",          "partition", "offset", "timestamp",
                                          "timestamp_type", "headers",   "key",    "value"};
enum {
    SK_TOPIC, SK_PARTITION, SK_KEY_SCHEMA, SK_KEY, SK_VALUE_SCHEMA, SK_VALUE, SK_TIMESTAMP, SK_HEADERS, SK_OFFSET,
    SK_TS_TYPE, SK_ORIG_TOPIC, SK_ORIG_PARTITION, SK_ORIG_OFFSET, SK_COUNT
};
static const char *sink_names[SK_COUNT] = {"topic", "kafka_partition", "key_schema", "key", "value_schema", "value",
                                           "timestamp", "headers", "kafka_offset", "timestamp_type", "original_topic",
                                           "original_kafka_partition", "original_kafka_offset"};
static PyTypeObject *raw_type, *sink_type;
static Py_ssize_t raw_off[RA_COUNT], sink_off[SK_COUNT];

/* bind_records(raw_type, sink_type): the record classes sink_run reads and builds (connectless.native checks that
 * SinkRecord's fields are sink_names, all of them, so that a record built here has every slot set). */
static PyObject *bind_records(PyObject *self, PyObject *args) {
    PyTypeObject *raw, *sink;
    if (!PyArg_ParseTuple(args, "O!O!", &PyType_Type, &raw, &PyType_Type, &sink)) return NULL;
    if (sink->tp_dictoffset != 0 || sink->tp_new != PyBaseObject_Type.tp_new || sink->tp_alloc == NULL ||
        !(sink->tp_flags & Py_TPFLAGS_HEAPTYPE))
        return PyErr_Format(PyExc_TypeError, "%s is not a plain slots class", sink->tp_name);
    Py_ssize_t raw_at[RA_COUNT], sink_at[SK_COUNT];
    for (int i = 0; i < RA_COUNT; i++)
        if (slot_offset(raw, raw_names[i], &raw_at[i]) < 0) return NULL;
    for (int i = 0; i < SK_COUNT; i++)
        if (slot_offset(sink, sink_names[i], &sink_at[i]) < 0) return NULL;
    memcpy(raw_off, raw_at, sizeof raw_off);
    memcpy(sink_off, sink_at, sizeof sink_off);
    Py_XSETREF(raw_type, (PyTypeObject *)Py_NewRef(raw));
    Py_XSETREF(sink_type, (PyTypeObject *)Py_NewRef(sink));
    Py_RETURN_NONE;
}

/* sink_run(raws, keys, schema, values, no_headers) -> ([SinkRecord or None], count of None): for each raw whose values[i] is not
 * None, SinkRecord(raw.topic, raw.partition, None, keys[i], schema, values[i], raw.timestamp, no_headers,
 * raw.offset, raw.timestamp_type) as its __init__ and __post_init__ make it (the original_* fields are the topic,
 * partition and offset). None where values[i] is None or the raw has headers (Python converts them). */
static PyObject *sink_run(PyObject *self, PyObject *args) {
    PyObject *raws, *keys, *schema, *values, *no_headers;
    if (!PyArg_ParseTuple(args, "O!O!OO!O", &PyList_Type, &raws, &PyList_Type, &keys, &schema, &PyList_Type, &values,
                          &no_headers))
        return NULL;
    if (sink_type == NULL) return PyErr_Format(PyExc_RuntimeError, "bind_records() first");
    Py_ssize_t size = PyList_GET_SIZE(raws);
    if (PyList_GET_SIZE(keys) != size || PyList_GET_SIZE(values) != size)
        return PyErr_Format(PyExc_ValueError, "sink_run(): %zd raws, %zd keys, %zd values", size,
                            PyList_GET_SIZE(keys), PyList_GET_SIZE(values));
    PyObject *out = PyList_New(size);
    if (out == NULL) return NULL;
    Py_ssize_t fallbacks = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        PyObject *raw = PyList_GET_ITEM(raws, i), *value = PyList_GET_ITEM(values, i), *got[RA_COUNT];
        int fits = value != Py_None && Py_TYPE(raw) == raw_type;
        for (int f = 0; fits && f < RA_COUNT; f++) fits = (got[f] = SLOT(raw, raw_off[f])) != NULL;
        if (!fits || !PyTuple_CheckExact(got[RA_HEADERS]) || PyTuple_GET_SIZE(got[RA_HEADERS]) != 0) {
            fallbacks++;
            PyList_SET_ITEM(out, i, Py_NewRef(Py_None));
            continue;
        }
        PyObject *rec = sink_type->tp_alloc(sink_type, 0);
        if (rec == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        const Py_ssize_t *so = sink_off;
        SLOT(rec, so[SK_TOPIC]) = Py_NewRef(got[RA_TOPIC]);
        SLOT(rec, so[SK_PARTITION]) = Py_NewRef(got[RA_PARTITION]);
        SLOT(rec, so[SK_KEY_SCHEMA]) = Py_NewRef(Py_None);
        SLOT(rec, so[SK_KEY]) = Py_NewRef(PyList_GET_ITEM(keys, i));
        SLOT(rec, so[SK_VALUE_SCHEMA]) = Py_NewRef(schema);
        SLOT(rec, so[SK_VALUE]) = Py_NewRef(value);
        SLOT(rec, so[SK_TIMESTAMP]) = Py_NewRef(got[RA_TIMESTAMP]);
        SLOT(rec, so[SK_HEADERS]) = Py_NewRef(no_headers);
        SLOT(rec, so[SK_OFFSET]) = Py_NewRef(got[RA_OFFSET]);
        SLOT(rec, so[SK_TS_TYPE]) = Py_NewRef(got[RA_TS_TYPE]);
        SLOT(rec, so[SK_ORIG_TOPIC]) = Py_NewRef(got[RA_TOPIC]);
        SLOT(rec, so[SK_ORIG_PARTITION]) = Py_NewRef(got[RA_PARTITION]);
        SLOT(rec, so[SK_ORIG_OFFSET]) = Py_NewRef(got[RA_OFFSET]);
        PyList_SET_ITEM(out, i, rec);
    }
    return Py_BuildValue("(Nn)", out, fallbacks);
}

/* A flat Struct's JSON line written here, byte for byte as orjson.dumps writes its dict (no spaces, UTF-8 as it is,
 * control characters escaped as \b \t \n \f \r or \u00xx, '"' and '\\' escaped): its values str, int (64 bits),
 * bool and None. Another value (a float, a larger int, a str or int subclass, a str with a lone surrogate) is left
 * to orjson: line_of returns 0 without an exception. */
typedef struct {
    char *p;
    Py_ssize_t len, cap;
} LineBuf;

static LineBuf line_buf;

static int lb_reserve(LineBuf *b, Py_ssize_t more) {
    if (b->cap - b->len >= more) return 0;
    Py_ssize_t cap = b->cap ? b->cap : 1024;
    while (cap - b->len < more) {
        if (cap > PY_SSIZE_T_MAX / 2) {
            PyErr_NoMemory();
            return -1;
        }
        cap *= 2;
    }
    char *p = PyMem_Realloc(b->p, (size_t)cap);
    if (p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

/* 1 written, 0 not covered (no exception), -1 error. */
static int lb_str(LineBuf *b, PyObject *text) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(text, &n);
    if (s == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return -1;
        PyErr_Clear(); /* a lone surrogate: orjson's error */
        return 0;
    }
    if (lb_reserve(b, 6 * n + 2) < 0) return -1;
    char *o = b->p + b->len;
    *o++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\t': *o++ = 't'; break;
        case '\n': *o++ = 'n'; break;
        case '\f': *o++ = 'f'; break;
        case '\r': *o++ = 'r'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = "0123456789abcdef"[c >> 4];
            *o++ = "0123456789abcdef"[c & 15];
        }
    }
    *o++ = '"';
    b->len = o - b->p;
    return 1;
}

static int lb_raw(LineBuf *b, const char *s, Py_ssize_t n) {
    if (lb_reserve(b, n) < 0) return -1;
    memcpy(b->p + b->len, s, (size_t)n);
    b->len += n;
    return 1;
}

static int lb_value(LineBuf *b, PyObject *v) {
    if (PyUnicode_CheckExact(v)) return lb_str(b, v);
    if (v == Py_None) return lb_raw(b, "null", 4);
    if (v == Py_True) return lb_raw(b, "true", 4);
    if (v == Py_False) return lb_raw(b, "false", 5);
    if (PyLong_CheckExact(v)) {
        int overflow;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow) return 0; /* past int64: orjson's (unsigned 64 bits, or its error) */
        if (x == -1 && PyErr_Occurred()) return -1;
        char digits[24];
        int n = snprintf(digits, sizeof digits, "%lld", x);
        return lb_raw(b, digits, n);
    }
    return 0;
}

/* The line of a flat Struct's names and values (as many of each), or NULL: with an exception on an error, without
 * one where orjson must write it. */
static PyObject *line_of(PyObject *names, PyObject *values) {
    LineBuf *b = &line_buf;
    b->len = 0;
    Py_ssize_t count = PyTuple_GET_SIZE(names);
    if (lb_raw(b, "{", 1) < 0) return NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *name = PyTuple_GET_ITEM(names, i);
        int r;
        if ((i > 0 && lb_raw(b, ",", 1) < 0)) return NULL;
        if (!PyUnicode_CheckExact(name)) return NULL;
        if ((r = lb_str(b, name)) <= 0 || lb_raw(b, ":", 1) < 0) return NULL;
        if ((r = lb_value(b, PyList_GET_ITEM(values, i))) <= 0) return NULL;
    }
    if (lb_raw(b, "}\n", 2) < 0) return NULL;
    return PyBytes_FromStringAndSize(b->p, b->len);
}

/* struct_lines(records, start, limit, names_of, each, dumps, default, option) -> [bytes]: the JSON lines of
 * records[start:] (SinkRecords) while their value is a Struct, at most `limit` of them (connectors/file.py, for the
 * values _records.json_lines_into leaves to Python). A Struct whose schema names_of(schema) gives field names for (a
 * flat record, asked once per schema met in a row) and with as many values is written here when its values are
 * str, int, bool and None (line_of: orjson's bytes), else as dumps(flat_dict(names, values), default=default,
 * option=option), as to_json_line writes it; another Struct as each(value). Stops at the first record that is not a SinkRecord or whose value is not a Struct. */
static PyObject *struct_lines(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t start, limit;
    if (nargs != 8 || !PyList_CheckExact(args[0]) || (start = PyLong_AsSsize_t(args[1])) < 0 ||
        (limit = PyLong_AsSsize_t(args[2])) < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError,
                            "struct_lines(records, start, limit, names_of, each, dumps, default, option): a list, "
                            "two counts");
        return NULL;
    }
    if (sink_type == NULL) return PyErr_Format(PyExc_RuntimeError, "bind_records() first");
    PyObject *records = args[0], *names_of = args[3], *each = args[4], *dumps = args[5];
    /* interned names: orjson matches its keywords by identity first, as CPython's own functions do */
    PyObject *kwnames = PyTuple_New(2);
    if (kwnames == NULL) return NULL;
    PyObject *kw_default = PyUnicode_InternFromString("default"), *kw_option = PyUnicode_InternFromString("option");
    if (kw_default == NULL || kw_option == NULL) {
        Py_XDECREF(kw_default);
        Py_XDECREF(kw_option);
        Py_DECREF(kwnames);
        return NULL;
    }
    PyTuple_SET_ITEM(kwnames, 0, kw_default);
    PyTuple_SET_ITEM(kwnames, 1, kw_option);
    PyObject *out = PyList_New(0), *schema = NULL, *names = NULL; /* the last schema met and its names */
    if (out == NULL) goto failed;
    Py_ssize_t stop = PyList_GET_SIZE(records);
    if (stop - start > limit) stop = start + limit;
    for (Py_ssize_t i = start; i < stop; i++) {
        PyObject *record = PyList_GET_ITEM(records, i), *value, *line = NULL;
        if (Py_TYPE(record) != sink_type || (value = SLOT(record, sink_off[SK_VALUE])) == NULL ||
            Py_TYPE(value) != struct_type || SLOT(value, off_schema) == NULL || SLOT(value, off_values) == NULL)
            break;
        PyObject *of = SLOT(value, off_schema);
        if (of != schema) {
            PyObject *found = PyObject_CallOneArg(names_of, of);
            if (found == NULL) goto failed;
            Py_XSETREF(names, found);
            Py_XSETREF(schema, Py_NewRef(of));
        }
        PyObject *fields = SLOT(value, off_values);
        if (PyTuple_CheckExact(names) && PyList_CheckExact(fields) &&
            PyList_GET_SIZE(fields) == PyTuple_GET_SIZE(names)) {
            line = line_of(names, fields);
            if (line == NULL && !PyErr_Occurred()) { /* a value orjson writes itself: its dict, as to_json_line */
                PyObject *pair[2] = {names, fields};
                PyObject *mapping = flat_dict(NULL, pair, 2);
                if (mapping == NULL) goto failed;
                PyObject *call[4] = {NULL, mapping, args[6], args[7]};
                line = PyObject_Vectorcall(dumps, call + 1, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, kwnames);
                Py_DECREF(mapping);
            }
        } else
            line = PyObject_CallOneArg(each, value);
        if (line == NULL) goto failed;
        int appended = PyList_Append(out, line);
        Py_DECREF(line);
        if (appended < 0) goto failed;
    }
    Py_XDECREF(schema);
    Py_XDECREF(names);
    Py_DECREF(kwnames);
    return out;
failed:
    Py_XDECREF(schema);
    Py_XDECREF(names);
    Py_XDECREF(out);
    Py_DECREF(kwnames);
    return NULL;
}

/* header_run(datas, start, header) -> end: the first index from `start` on whose message is not bytes starting with
 * `header` (a registry converter's run of records sharing a schema id: converters/registry/base.py). */
static PyObject *header_run(PyObject *self, PyObject *args) {
    PyObject *datas;
    Py_ssize_t start;
    const char *header;
    Py_ssize_t length;
    if (!PyArg_ParseTuple(args, "O!ny#", &PyList_Type, &datas, &start, &header, &length)) return NULL;
    Py_ssize_t end = start < 0 ? 0 : start, size = PyList_GET_SIZE(datas);
    for (; end < size; end++) {
        PyObject *data = PyList_GET_ITEM(datas, end);
        if (!PyBytes_CheckExact(data) || PyBytes_GET_SIZE(data) < length ||
            memcmp(PyBytes_AS_STRING(data), header, (size_t)length) != 0)
            break;
    }
    return PyLong_FromSsize_t(end);
}

/* raw_columns(raws, topic) -> ([key], [value]) of a list of RawRecords all of `topic` (an equal str), or None when
 * one is of another topic or not a RawRecord (pipeline/sink.py _process_keyed_into then reads them in Python). */
static PyObject *raw_columns(PyObject *self, PyObject *args) {
    PyObject *raws, *topic;
    if (!PyArg_ParseTuple(args, "O!U", &PyList_Type, &raws, &topic)) return NULL;
    if (raw_type == NULL) return PyErr_Format(PyExc_RuntimeError, "bind_records() first");
    Py_ssize_t size = PyList_GET_SIZE(raws);
    PyObject *keys = PyList_New(size), *values = PyList_New(size);
    if (keys == NULL || values == NULL) goto failed;
    for (Py_ssize_t i = 0; i < size; i++) {
        PyObject *raw = PyList_GET_ITEM(raws, i), *of, *key, *value;
        if (Py_TYPE(raw) != raw_type || (of = SLOT(raw, raw_off[RA_TOPIC])) == NULL ||
            (key = SLOT(raw, raw_off[RA_KEY])) == NULL || (value = SLOT(raw, raw_off[RA_VALUE])) == NULL)
            goto other;
        if (of != topic) {
            int equal = PyUnicode_CheckExact(of) ? PyUnicode_Compare(of, topic) : -1;
            if (equal == -1 && PyErr_Occurred()) goto failed;
            if (equal != 0) goto other;
        }
        PyList_SET_ITEM(keys, i, Py_NewRef(key));
        PyList_SET_ITEM(values, i, Py_NewRef(value));
    }
    return Py_BuildValue("(NN)", keys, values);
other:
    Py_DECREF(keys);
    Py_DECREF(values);
    Py_RETURN_NONE;
failed:
    Py_XDECREF(keys);
    Py_XDECREF(values);
    return NULL;
}

static PyMethodDef methods[] = {
    {"bind", bind, METH_O, "bind(struct_type): the Struct class decode_run builds"},
    {"decode_run", decode_run, METH_VARARGS,
     "decode_run(datas, program, schema, fallback[, pair_type]) -> [Struct]: each framed message's flat record, or "
     "fallback(message) where this reader does not read it exactly (see the source); with pair_type, each as "
     "pair_type(schema, value)"},
    {"decode_one", decode_one, METH_VARARGS,
     "decode_one(payload, program, schema) -> Struct or None: one message's payload (after the header), None where "
     "fastavro must read it"},
    {"flat_dict", (PyCFunction)(void (*)(void))flat_dict, METH_FASTCALL,
     "flat_dict(names, values) -> dict: dict(zip(names, values)) for a name tuple and a value list of one length"},
    {"struct_run", struct_run, METH_VARARGS,
     "struct_run(pairs, schema, final_schema, ops) -> [Struct or None]: a chain's struct steps over a run of "
     "(schema, Struct) pairs (see the source); None where Python must run the chain"},
    {"bind_records", bind_records, METH_VARARGS, "bind_records(raw_type, sink_type): the classes sink_run uses"},
    {"sink_run", sink_run, METH_VARARGS,
     "sink_run(raws, keys, schema, values, no_headers) -> ([SinkRecord or None], Nones): each raw's record of a schemaless key "
     "and a value of `schema`; None where the value is None or the raw has headers"},
    {"struct_lines", (PyCFunction)(void (*)(void))struct_lines, METH_FASTCALL,
     "struct_lines(records, start, limit, names_of, each, dumps, default, option) -> [bytes]: the lines of "
     "records[start:] while their value is a Struct, at most limit (a flat one's as to_json_line writes it)"},
    {"header_run", header_run, METH_VARARGS,
     "header_run(datas, start, header) -> end: the first index from start whose message (bytes) does not start with "
     "header"},
    {"raw_columns", raw_columns, METH_VARARGS,
     "raw_columns(raws, topic) -> ([key], [value]) or None: the run's keys and values when every raw is of topic"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, .m_name = "_avro", .m_size = -1, .m_methods = methods};

PyMODINIT_FUNC PyInit__avro(void) {
    PyObject *m = PyModule_Create(&module), *names = PyTuple_New(SK_COUNT);
    if (m == NULL || names == NULL) goto failed;
    for (int i = 0; i < SK_COUNT; i++) {
        PyObject *name = PyUnicode_FromString(sink_names[i]);
        if (name == NULL) goto failed;
        PyTuple_SET_ITEM(names, i, name);
    }
    if (PyModule_AddObject(m, "SINK_FIELDS", names) < 0) goto failed; /* steals names on success */
    return m;
failed:
    Py_XDECREF(names);
    Py_XDECREF(m);
    return NULL;
}
