/* connectless.native._avro: AvroConverter's common case in C, a run of Confluent-framed messages per call.
 *
 * bind(struct_type)                                  the Struct class to build (connectless.native binds it)
 * decode_run(datas, program, schema, fallback[, pair_type])   framed messages -> Structs of `schema` (or
 *                                                    pair_type(schema, Struct) pairs: SchemaAndValues)
 * decode_one(payload, program, schema)               one message's payload -> its Struct, or None for fastavro
 * flat_dict(names, values)                           a flat Struct's {name: value} (data/json_values.to_json_line)
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
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, .m_name = "_avro", .m_size = -1, .m_methods = methods};

PyMODINIT_FUNC PyInit__avro(void) { return PyModule_Create(&module); }
