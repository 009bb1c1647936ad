/* connectless.native._records: the sink's per-record work on a Lambda Kafka event, a run of records per C call.
 *
 * bind(raw_type, sink_type, ts_types, no_ts_type)       the record classes to build (connectless.native does it)
 * raws_from_event(records, fallback)                     a partition's event records -> RawRecords
 * one_partition_in_order(raws)                           parse_event's check that a list needs no regrouping
 * sink_records(raws, key_reader, value_reader, ...)      RawRecords -> SinkRecords through schemaless readers
 * map_values(records, steps, start)                      the chain's value map steps over a run
 * KeyRenamer, IntFieldStep, MillisFormat                 ReplaceField's and TimestampConverter's steps
 * last_offsets(raws)                                     the offsets to commit
 * encode_record(raw, ...)                                the poller's event JSON of one record
 * raws_from_messages, encode_records                      the poller's per-batch work (i17p's section, at the end)
 * parse_kafka_event(data)                                a Lambda Kafka event's bytes -> RawRecords (i17e's section)
 *
 * The records are the project's slots dataclasses, filled slot by slot: bind finds each field's slot offset from
 * its member descriptor once (and refuses a class that is not a plain slots class), so building one costs an
 * allocation and a few stores instead of a call of the dataclass's __init__ in Python. Whatever a fast path does
 * not cover exactly (headers, a number of another type, base64 that is not canonical, a value the JSON guard sends
 * to the exact parse, a step that raises) is handed back to Python, record by record: the results are the
 * pure-Python path's, field for field, and its errors (tests/unit/native, and the callers' tests run both paths).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <string.h>

#if PY_VERSION_HEX < 0x030B0000
#error "Python 3.11+ is required"
#endif

/* RawRecord's fields, in its dataclass order. */
enum { R_TOPIC, R_PARTITION, R_OFFSET, R_TIMESTAMP, R_TS_TYPE, R_KEY, R_VALUE, R_HEADERS, R_COUNT };
static const char *raw_fields[R_COUNT] = {"topic", "partition", "offset", "timestamp", "timestamp_type",
                                          "key", "value", "headers"};
/* SinkRecord's fields (ConnectRecord's, then its own). */
enum {
    S_TOPIC, S_PARTITION, S_KEY_SCHEMA, S_KEY, S_VALUE_SCHEMA, S_VALUE, S_TIMESTAMP, S_HEADERS, S_OFFSET,
    S_TS_TYPE, S_ORIG_TOPIC, S_ORIG_PARTITION, S_ORIG_OFFSET, S_COUNT
};
static const char *sink_fields[S_COUNT] = {"topic", "kafka_partition", "key_schema", "key", "value_schema", "value",
                                           "timestamp", "headers", "kafka_offset", "timestamp_type", "original_topic",
                                           "original_kafka_partition", "original_kafka_offset"};

typedef struct {
    PyTypeObject *raw_type, *sink_type;
    Py_ssize_t raw_off[R_COUNT], sink_off[S_COUNT];
    PyObject *ts_types;  /* dict: Lambda's timestampType -> Kafka Connect's name */
    PyObject *no_ts_type; /* NoTimestampType */
    PyObject *empty_tuple;
    PyObject *k_topic, *k_partition, *k_offset, *k_timestamp, *k_ts_type, *k_key, *k_value, *k_headers;
} State;

static State S; /* one interpreter: the Lambda runtime's */

#define SLOT(obj, off) (*(PyObject **)((char *)(obj) + (off)))

/* The slot offset of field `name` of `type`: its member descriptor must be an object slot. */
static int slot_offset(PyTypeObject *type, const char *name, Py_ssize_t *out) {
    PyObject *descr = PyObject_GetAttrString((PyObject *)type, name);
    if (descr == NULL) return -1;
    if (Py_TYPE(descr) != &PyMemberDescr_Type) {
        PyErr_Format(PyExc_TypeError, "%s.%s is not a slot", type->tp_name, name);
        Py_DECREF(descr);
        return -1;
    }
    PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
    if (member->type != T_OBJECT_EX || (member->flags & READONLY)) {
        PyErr_Format(PyExc_TypeError, "%s.%s is not a writable object slot", type->tp_name, name);
        Py_DECREF(descr);
        return -1;
    }
    *out = member->offset;
    Py_DECREF(descr);
    return 0;
}

static int check_plain(PyTypeObject *type) {
    if (type->tp_dictoffset != 0 || type->tp_new != PyBaseObject_Type.tp_new || type->tp_alloc == NULL ||
        !(type->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        PyErr_Format(PyExc_TypeError, "%s is not a plain slots class", type->tp_name);
        return -1;
    }
    return 0;
}

static PyObject *bind(PyObject *self, PyObject *args) {
    PyObject *raw_type, *sink_type, *ts_types, *no_ts_type;
    if (!PyArg_ParseTuple(args, "O!O!O!U", &PyType_Type, &raw_type, &PyType_Type, &sink_type, &PyDict_Type,
                          &ts_types, &no_ts_type))
        return NULL;
    PyTypeObject *rt = (PyTypeObject *)raw_type, *st = (PyTypeObject *)sink_type;
    if (check_plain(rt) < 0 || check_plain(st) < 0) return NULL;
    for (int i = 0; i < R_COUNT; i++)
        if (slot_offset(rt, raw_fields[i], &S.raw_off[i]) < 0) return NULL;
    for (int i = 0; i < S_COUNT; i++)
        if (slot_offset(st, sink_fields[i], &S.sink_off[i]) < 0) return NULL;
    Py_INCREF(raw_type);
    Py_INCREF(sink_type);
    Py_INCREF(ts_types);
    Py_INCREF(no_ts_type);
    Py_XSETREF(S.raw_type, rt);
    Py_XSETREF(S.sink_type, st);
    Py_XSETREF(S.ts_types, ts_types);
    Py_XSETREF(S.no_ts_type, no_ts_type);
    Py_RETURN_NONE;
}

/* -- base64 ------------------------------------------------------------------------------------------------- */

static unsigned char b64_table[256]; /* 0..63, or 0x80 for anything else */
/* One table per position of a quad: OR-ed, they give the quad's 3 bytes as a little-endian word (bit 24 marks a
 * character outside the alphabet), so a quad costs 4 loads and one store. */
#define B64_BAD 0x01000000u
static uint32_t b64_d0[256], b64_d1[256], b64_d2[256], b64_d3[256];

static void b64_init(void) {
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    memset(b64_table, 0x80, sizeof b64_table);
    for (int i = 0; i < 256; i++) b64_d0[i] = b64_d1[i] = b64_d2[i] = b64_d3[i] = B64_BAD;
    for (uint32_t v = 0; v < 64; v++) {
        unsigned char c = (unsigned char)alphabet[v];
        b64_table[c] = (unsigned char)v;
        b64_d0[c] = v << 2;
        b64_d1[c] = (v >> 4) | (v & 0x0F) << 12;
        b64_d2[c] = (v >> 2) << 8 | (v & 0x03) << 22;
        b64_d3[c] = v << 16;
    }
}

static inline uint32_t b64_quad(const unsigned char *in) {
    return b64_d0[in[0]] | b64_d1[in[1]] | b64_d2[in[2]] | b64_d3[in[3]];
}

/* Canonical base64 (length a multiple of 4, the alphabet, at most two '=' at the end) to a new bytes object;
 * NULL without an exception set when `text` is anything else (Python's decoder then decides what it means). */
static PyObject *b64_decode_span(const unsigned char *in, Py_ssize_t n);

static PyObject *b64_decode(PyObject *text) {
    if (!PyUnicode_IS_COMPACT_ASCII(text)) return NULL;
    return b64_decode_span((const unsigned char *)PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text));
}

/* b64_decode of the n ASCII characters at `in` (an event's JSON bytes, for parse_kafka_event). */
static PyObject *b64_decode_span(const unsigned char *in, Py_ssize_t n) {
    if (n % 4 != 0) return NULL;
    Py_ssize_t pad = 0;
    if (n >= 4 && in[n - 1] == '=') pad = in[n - 2] == '=' ? 2 : 1;
    Py_ssize_t out_len = n / 4 * 3 - pad;
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, out_len);
    if (bytes == NULL) return NULL;
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(bytes);
    Py_ssize_t full = pad ? n - 4 : n, i = 0, o = 0;
#if PY_LITTLE_ENDIAN
    for (; i + 4 < full; i += 4, o += 3) { /* 4 bytes stored, the 4th overwritten by the next quad */
        uint32_t v = b64_quad(in + i);
        if (v & B64_BAD) goto invalid;
        memcpy(out + o, &v, 4);
    }
#endif
    for (; i < full; i += 4) {
        unsigned a = b64_table[in[i]], b = b64_table[in[i + 1]], c = b64_table[in[i + 2]], d = b64_table[in[i + 3]];
        if ((a | b | c | d) & 0x80) goto invalid;
        unsigned v = a << 18 | b << 12 | c << 6 | d;
        out[o] = (unsigned char)(v >> 16);
        out[o + 1] = (unsigned char)(v >> 8);
        out[o + 2] = (unsigned char)v;
        o += 3;
    }
    if (pad) {
        unsigned a = b64_table[in[i]], b = b64_table[in[i + 1]];
        unsigned c = pad == 1 ? b64_table[in[i + 2]] : 0;
        if ((a | b | c) & 0x80) goto invalid;
        unsigned v = a << 18 | b << 12 | c << 6;
        out[o++] = (unsigned char)(v >> 16);
        if (pad == 1) out[o++] = (unsigned char)(v >> 8);
    }
    return bytes;
invalid:
    Py_DECREF(bytes);
    return NULL;
}

/* -- RawRecord -> its event record's JSON (the poller's side) --------------------------------------------------- */

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Each 12 bits' two base64 characters: a 3-byte group costs two loads and two stores (the poller's hot loop). */
static char b64_pairs[4096][2];

static void b64_pairs_init(void) {
    for (int v = 0; v < 4096; v++) {
        b64_pairs[v][0] = b64_alphabet[v >> 6];
        b64_pairs[v][1] = b64_alphabet[v & 63];
    }
}

static char *b64_encode_into(char *out, const unsigned char *in, Py_ssize_t n) {
    Py_ssize_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        memcpy(out, b64_pairs[v >> 12], 2);
        memcpy(out + 2, b64_pairs[v & 0xFFF], 2);
        out += 4;
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        out[0] = b64_alphabet[v >> 18];
        out[1] = b64_alphabet[(v >> 12) & 63];
        out[2] = out[3] = '=';
        out += 4;
    } else if (n - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        out[0] = b64_alphabet[v >> 18];
        out[1] = b64_alphabet[(v >> 12) & 63];
        out[2] = b64_alphabet[(v >> 6) & 63];
        out[3] = '=';
        out += 4;
    }
    return out;
}

static char *put(char *out, const char *text, size_t n) {
    memcpy(out, text, n);
    return out + n;
}

/* An exact int that fits a long long, written in decimal into `digits` (at least 21 bytes); -1 when not. */
static int decimal_of(PyObject *number, char *digits) {
    if (!PyLong_CheckExact(number)) return -1;
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(number, &overflow);
    if (overflow || (v == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return -1;
    }
    char tmp[24];
    int len = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do { /* snprintf's "%lld" took a third of a small record's encoding */
        tmp[len++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    int at = 0;
    if (v < 0) digits[at++] = '-';
    while (len) digits[at++] = tmp[--len];
    digits[at] = '\0';
    return at;
}

/* encode_record(raw, topic_json, ts_type_json, no_ts_type_json, fallback) -> bytes: events.encode_record's JSON,
 * byte for byte. topic_json: {topic: its JSON}; a record of another topic, with headers, or with fields of other
 * types goes to fallback(raw). */
static PyObject *encode_record(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5) return PyErr_Format(PyExc_TypeError, "encode_record takes 5 arguments");
    PyObject *raw = args[0], *topic_json = args[1], *ts_type_json = args[2], *no_ts_json = args[3];
    PyObject *fallback = args[4];
    if (S.raw_type == NULL) return PyErr_Format(PyExc_RuntimeError, "bind() first");
    if (Py_TYPE(raw) != S.raw_type || !PyDict_CheckExact(topic_json) || !PyDict_CheckExact(ts_type_json))
        return PyObject_CallOneArg(fallback, raw);
    const Py_ssize_t *ro = S.raw_off;
    PyObject *topic = SLOT(raw, ro[R_TOPIC]), *partition = SLOT(raw, ro[R_PARTITION]),
             *offset = SLOT(raw, ro[R_OFFSET]), *timestamp = SLOT(raw, ro[R_TIMESTAMP]),
             *ts_type = SLOT(raw, ro[R_TS_TYPE]), *key = SLOT(raw, ro[R_KEY]), *value = SLOT(raw, ro[R_VALUE]),
             *headers = SLOT(raw, ro[R_HEADERS]);
    if (!topic || !partition || !offset || !timestamp || !ts_type || !key || !value || !headers)
        return PyObject_CallOneArg(fallback, raw);
    if (!PyTuple_CheckExact(headers) || PyTuple_GET_SIZE(headers) != 0 || !PyUnicode_CheckExact(topic) ||
        (key != Py_None && !PyBytes_CheckExact(key)) || (value != Py_None && !PyBytes_CheckExact(value)))
        return PyObject_CallOneArg(fallback, raw);
    PyObject *topic_text = PyDict_GetItemWithError(topic_json, topic);
    if (topic_text == NULL || !PyBytes_CheckExact(topic_text)) {
        if (PyErr_Occurred()) return NULL;
        return PyObject_CallOneArg(fallback, raw); /* Python escapes the topic and remembers it */
    }
    if (!PyUnicode_CheckExact(ts_type)) return PyObject_CallOneArg(fallback, raw);
    PyObject *type_text = PyDict_GetItemWithError(ts_type_json, ts_type);
    if (type_text == NULL && PyErr_Occurred()) return NULL;
    if (type_text == NULL) type_text = no_ts_json;
    if (!PyBytes_CheckExact(type_text)) return PyObject_CallOneArg(fallback, raw);
    char p_digits[24], o_digits[24], t_digits[24];
    int p_len = decimal_of(partition, p_digits), o_len = decimal_of(offset, o_digits), t_len;
    if (timestamp == Py_None) t_len = (int)strlen(strcpy(t_digits, "-1"));
    else t_len = decimal_of(timestamp, t_digits);
    if (p_len < 0 || o_len < 0 || t_len < 0) return PyObject_CallOneArg(fallback, raw);

    static const char f_topic[] = "{\"topic\":", f_partition[] = ",\"partition\":", f_offset[] = ",\"offset\":",
                      f_timestamp[] = ",\"timestamp\":", f_type[] = ",\"timestampType\":", f_key[] = ",\"key\":\"",
                      f_value[] = ",\"value\":\"", f_headers[] = ",\"headers\":[]}";
    Py_ssize_t key_len = key == Py_None ? -1 : PyBytes_GET_SIZE(key);
    Py_ssize_t value_len = value == Py_None ? -1 : PyBytes_GET_SIZE(value);
    Py_ssize_t size = (Py_ssize_t)(sizeof f_topic - 1) + PyBytes_GET_SIZE(topic_text) + (Py_ssize_t)(sizeof f_partition - 1) +
                      p_len + (Py_ssize_t)(sizeof f_offset - 1) + o_len + (Py_ssize_t)(sizeof f_timestamp - 1) + t_len +
                      (Py_ssize_t)(sizeof f_type - 1) + PyBytes_GET_SIZE(type_text) + (Py_ssize_t)(sizeof f_headers - 1);
    if (key_len >= 0) size += (Py_ssize_t)(sizeof f_key - 1) + (key_len + 2) / 3 * 4 + 1;
    if (value_len >= 0) size += (Py_ssize_t)(sizeof f_value - 1) + (value_len + 2) / 3 * 4 + 1;
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out == NULL) return NULL;
    char *w = PyBytes_AS_STRING(out);
    w = put(w, f_topic, sizeof f_topic - 1);
    w = put(w, PyBytes_AS_STRING(topic_text), (size_t)PyBytes_GET_SIZE(topic_text));
    w = put(w, f_partition, sizeof f_partition - 1);
    w = put(w, p_digits, (size_t)p_len);
    w = put(w, f_offset, sizeof f_offset - 1);
    w = put(w, o_digits, (size_t)o_len);
    w = put(w, f_timestamp, sizeof f_timestamp - 1);
    w = put(w, t_digits, (size_t)t_len);
    w = put(w, f_type, sizeof f_type - 1);
    w = put(w, PyBytes_AS_STRING(type_text), (size_t)PyBytes_GET_SIZE(type_text));
    if (key_len >= 0) {
        w = put(w, f_key, sizeof f_key - 1);
        w = b64_encode_into(w, (const unsigned char *)PyBytes_AS_STRING(key), key_len);
        *w++ = '"';
    }
    if (value_len >= 0) {
        w = put(w, f_value, sizeof f_value - 1);
        w = b64_encode_into(w, (const unsigned char *)PyBytes_AS_STRING(value), value_len);
        *w++ = '"';
    }
    w = put(w, f_headers, sizeof f_headers - 1);
    if (w - PyBytes_AS_STRING(out) != size) { /* cannot happen: the sizes above are the writes' */
        Py_DECREF(out);
        return PyErr_Format(PyExc_SystemError, "encode_record wrote %zd bytes of %zd", w - PyBytes_AS_STRING(out), size);
    }
    return out;
}

/* -- event records -> RawRecords ---------------------------------------------------------------------------- */

/* A field of an event record, borrowed; NULL when absent (no exception) or on error (exception set). */
static inline PyObject *field(PyObject *record, PyObject *name) { return PyDict_GetItemWithError(record, name); }

/* == i17f: an event record's fields by the order of its keys ================================================== */

/* The runtime's parser gives each record of an event the same keys, the same str objects (its memo), in the same
 * order: KeyLayout remembers which field the key at each position of the last record was (a strong reference to
 * that key), so a record's fields are found by one pass over its items and a pointer compare each, instead of a
 * hashed lookup (and a string compare) per field. */
enum { E_TOPIC, E_PARTITION, E_OFFSET, E_TIMESTAMP, E_TS_TYPE, E_KEY, E_VALUE, E_HEADERS, E_COUNT };
#define LAYOUT_MAX 16
typedef struct {
    PyObject *key[LAYOUT_MAX];
    signed char field[LAYOUT_MAX]; /* E_*, or -1: a key no field reads */
} KeyLayout;

static void layout_clear(KeyLayout *layout) {
    for (int j = 0; j < LAYOUT_MAX; j++) Py_CLEAR(layout->key[j]);
}

/* f[E_*] = the record's fields (borrowed; NULL when absent). 0 when a key is not an exact str: the caller then
 * looks the fields up by hash, as PyDict_GetItem would find them. */
static int event_fields(PyObject *record, KeyLayout *layout, PyObject **f) {
    PyObject *names[E_COUNT] = {S.k_topic, S.k_partition, S.k_offset, S.k_timestamp,
                                S.k_ts_type, S.k_key, S.k_value, S.k_headers};
    Py_ssize_t pos = 0, j = 0;
    PyObject *k, *v;
    while (PyDict_Next(record, &pos, &k, &v)) {
        int which = -1;
        if (j < LAYOUT_MAX && layout->key[j] == k)
            which = layout->field[j];
        else {
            if (!PyUnicode_CheckExact(k)) return 0;
            for (int e = 0; e < E_COUNT; e++)
                if (k == names[e] || PyUnicode_Compare(k, names[e]) == 0) {
                    which = e;
                    break;
                }
            if (j < LAYOUT_MAX) {
                Py_XSETREF(layout->key[j], Py_NewRef(k));
                layout->field[j] = (signed char)which;
            }
        }
        if (which >= 0) f[which] = v;
        j++;
    }
    return 1;
}

/* == end of i17f's section ====================================================================================== */

/* The RawRecord of one event record when the fast path covers it exactly; NULL with no exception when it does not
 * (then Python builds it), NULL with an exception on error. */
static PyObject *raw_from(PyObject *record, PyObject **previous_topic, KeyLayout *layout) {
    PyObject *topic, *partition, *offset, *timestamp, *ts_type, *key, *value, *headers;
    if (!PyDict_CheckExact(record)) return NULL;
    PyObject *f[E_COUNT] = {NULL};
    if (event_fields(record, layout, f)) {
        topic = f[E_TOPIC], partition = f[E_PARTITION], offset = f[E_OFFSET], timestamp = f[E_TIMESTAMP];
        ts_type = f[E_TS_TYPE], key = f[E_KEY], value = f[E_VALUE], headers = f[E_HEADERS];
        if (!topic || !partition || !offset) return NULL; /* a missing field Python reports */
    } else {
        if (!(topic = field(record, S.k_topic)) || !(partition = field(record, S.k_partition)) ||
            !(offset = field(record, S.k_offset)))
            return NULL; /* an error, or a missing field Python reports */
        timestamp = field(record, S.k_timestamp);
        if (timestamp == NULL && PyErr_Occurred()) return NULL;
        ts_type = field(record, S.k_ts_type);
        if (ts_type == NULL && PyErr_Occurred()) return NULL;
        key = field(record, S.k_key);
        if (key == NULL && PyErr_Occurred()) return NULL;
        value = field(record, S.k_value);
        if (value == NULL && PyErr_Occurred()) return NULL;
        headers = field(record, S.k_headers);
        if (headers == NULL && PyErr_Occurred()) return NULL;
    }

    if (!PyLong_CheckExact(partition) || !PyLong_CheckExact(offset) || !PyUnicode_CheckExact(topic)) return NULL;
    if (topic != *previous_topic) { /* one str object for a partition's topic: later compares are by identity */
        if (*previous_topic != NULL && PyUnicode_Compare(topic, *previous_topic) == 0)
            topic = *previous_topic;
        else if (PyErr_Occurred())
            return NULL;
        else
            *previous_topic = topic;
    }
    if (timestamp == Py_None) timestamp = NULL;
    if (timestamp != NULL) {
        if (!PyLong_CheckExact(timestamp)) return NULL;
        int overflow;
        long long ms = PyLong_AsLongLongAndOverflow(timestamp, &overflow);
        if (ms == -1 && PyErr_Occurred()) return NULL;
        if (overflow < 0 || (overflow == 0 && ms < 0)) timestamp = NULL; /* Lambda's -1: no timestamp */
    }
    PyObject *ts_name = S.no_ts_type;
    if (ts_type != NULL) {
        if (!PyUnicode_CheckExact(ts_type)) return NULL;
        PyObject *found = PyDict_GetItemWithError(S.ts_types, ts_type);
        if (found == NULL && PyErr_Occurred()) return NULL;
        if (found != NULL) ts_name = found;
    }
    if (headers != NULL && headers != Py_None && !(PyList_CheckExact(headers) && PyList_GET_SIZE(headers) == 0))
        return NULL; /* headers: Python's */
    if ((key != NULL && key != Py_None && !PyUnicode_CheckExact(key)) ||
        (value != NULL && value != Py_None && !PyUnicode_CheckExact(value)))
        return NULL;

    PyObject *key_bytes = NULL, *value_bytes = NULL;
    if (key != NULL && key != Py_None && (key_bytes = b64_decode(key)) == NULL) return NULL;
    if (value != NULL && value != Py_None && (value_bytes = b64_decode(value)) == NULL) {
        Py_XDECREF(key_bytes);
        return NULL;
    }
    PyObject *raw = S.raw_type->tp_alloc(S.raw_type, 0);
    if (raw == NULL) {
        Py_XDECREF(key_bytes);
        Py_XDECREF(value_bytes);
        return NULL;
    }
    SLOT(raw, S.raw_off[R_TOPIC]) = Py_NewRef(topic);
    SLOT(raw, S.raw_off[R_PARTITION]) = Py_NewRef(partition);
    SLOT(raw, S.raw_off[R_OFFSET]) = Py_NewRef(offset);
    SLOT(raw, S.raw_off[R_TIMESTAMP]) = Py_NewRef(timestamp ? timestamp : Py_None);
    SLOT(raw, S.raw_off[R_TS_TYPE]) = Py_NewRef(ts_name);
    SLOT(raw, S.raw_off[R_KEY]) = key_bytes ? key_bytes : Py_NewRef(Py_None);
    SLOT(raw, S.raw_off[R_VALUE]) = value_bytes ? value_bytes : Py_NewRef(Py_None);
    SLOT(raw, S.raw_off[R_HEADERS]) = Py_NewRef(S.empty_tuple);
    return raw;
}

static PyObject *raws_from_event(PyObject *self, PyObject *args) {
    PyObject *records, *fallback;
    if (!PyArg_ParseTuple(args, "OO", &records, &fallback)) return NULL;
    if (S.raw_type == NULL) return PyErr_Format(PyExc_RuntimeError, "bind() first");
    PyObject *seq = PySequence_Fast(records, "the records of a partition must be a list");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *out = PyList_New(n), *previous_topic = NULL; /* borrowed from a record of `records` */
    KeyLayout layout = {{NULL}, {0}};
    if (out == NULL) goto fail;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *raw = raw_from(items[i], &previous_topic, &layout);
        if (raw == NULL) {
            if (PyErr_Occurred()) goto fail;
            raw = PyObject_CallOneArg(fallback, items[i]);
            if (raw == NULL) goto fail;
        }
        PyList_SET_ITEM(out, i, raw);
    }
    layout_clear(&layout);
    Py_DECREF(seq);
    return out;
fail:
    layout_clear(&layout);
    Py_XDECREF(out);
    Py_DECREF(seq);
    return NULL;
}

/* -- RawRecords -> SinkRecords (schemaless converters) ------------------------------------------------------ */

/* JsonConverter's guard: text holding "-0" or a run of 19 digits may hold a number Jackson reads differently
 * from orjson (-0.0, an integer past 64 bits), so it goes to the exact parse. */
static int json_needs_exact(const char *s, Py_ssize_t n) {
    const char *dash = s, *end = s + n;
    while ((dash = memchr(dash, '-', (size_t)(end - dash))) != NULL) { /* memchr: SIMD in libc */
        if (dash + 1 < end && dash[1] == '0') return 1;
        dash++;
    }
    /* A run of 19 digits covers one of every 19th position: look there, and measure the run around a digit. */
    for (Py_ssize_t i = 18; i < n;) {
        if (s[i] < '0' || s[i] > '9') {
            i += 19;
            continue;
        }
        Py_ssize_t first = i, last = i;
        while (first > 0 && s[first - 1] >= '0' && s[first - 1] <= '9') first--;
        while (last + 1 < n && s[last + 1] >= '0' && s[last + 1] <= '9') last++;
        if (last - first + 1 >= 19) return 1;
        i = last + 1 + 19;
    }
    return 0;
}

/* JSON text that is a non-negative integer of at most 18 digits without a leading zero (a typical key): its value,
 * as orjson.loads reads it; NULL with no exception set for anything else. */
static PyObject *small_json_int(const char *s, Py_ssize_t n) {
    if (n < 1 || n > 18 || (s[0] == '0' && n > 1)) return NULL;
    long long v = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return NULL;
        v = v * 10 + (s[i] - '0');
    }
    return PyLong_FromLongLong(v);
}

/* One key or value through its reader: (fast, exact or None, guarded). New reference, or NULL on error. */
static PyObject *read_datum(PyObject *data, PyObject *reader) {
    if (data == Py_None) return Py_NewRef(Py_None);
    PyObject *fast = PyTuple_GET_ITEM(reader, 0), *exact = PyTuple_GET_ITEM(reader, 1);
    if (exact != Py_None) { /* JSON: the guard, and a small integer read here */
        if (!PyBytes_CheckExact(data)) return PyObject_CallOneArg(exact, data);
        const char *text = PyBytes_AS_STRING(data);
        Py_ssize_t size = PyBytes_GET_SIZE(data);
        PyObject *number = small_json_int(text, size);
        if (number != NULL || PyErr_Occurred()) return number;
        if (json_needs_exact(text, size)) return PyObject_CallOneArg(exact, data);
    }
    return PyObject_CallOneArg(fast, data);
}

static PyObject *sink_records(PyObject *self, PyObject *args) {
    PyObject *raws, *key_reader, *value_reader, *convert_headers, *empty_headers;
    if (!PyArg_ParseTuple(args, "OO!O!OO", &raws, &PyTuple_Type, &key_reader, &PyTuple_Type, &value_reader,
                          &convert_headers, &empty_headers))
        return NULL;
    if (S.sink_type == NULL) return PyErr_Format(PyExc_RuntimeError, "bind() first");
    if (PyTuple_GET_SIZE(key_reader) != 2 || PyTuple_GET_SIZE(value_reader) != 2)
        return PyErr_Format(PyExc_TypeError, "a reader is (fast, exact or None)");
    PyObject *seq = PySequence_Fast(raws, "raws must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *out = PyList_New(n);
    if (out == NULL) goto fail;
    const Py_ssize_t *ro = S.raw_off, *so = S.sink_off;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *raw = items[i];
        if (Py_TYPE(raw) != S.raw_type) {
            PyErr_SetString(PyExc_TypeError, "not a RawRecord");
            goto fail;
        }
        PyObject *topic = SLOT(raw, ro[R_TOPIC]), *partition = SLOT(raw, ro[R_PARTITION]),
                 *offset = SLOT(raw, ro[R_OFFSET]), *timestamp = SLOT(raw, ro[R_TIMESTAMP]),
                 *ts_type = SLOT(raw, ro[R_TS_TYPE]), *key = SLOT(raw, ro[R_KEY]), *value = SLOT(raw, ro[R_VALUE]),
                 *headers = SLOT(raw, ro[R_HEADERS]);
        if (!topic || !partition || !offset || !timestamp || !ts_type || !key || !value || !headers) {
            PyErr_SetString(PyExc_AttributeError, "a RawRecord with a field unset");
            goto fail;
        }
        PyObject *k = read_datum(key, key_reader);
        if (k == NULL) goto fail;
        PyObject *v = read_datum(value, value_reader);
        if (v == NULL) {
            Py_DECREF(k);
            goto fail;
        }
        PyObject *h;
        if (PyTuple_CheckExact(headers) && PyTuple_GET_SIZE(headers) == 0)
            h = Py_NewRef(empty_headers);
        else if ((h = PyObject_CallOneArg(convert_headers, raw)) == NULL) {
            Py_DECREF(k);
            Py_DECREF(v);
            goto fail;
        }
        PyObject *rec = S.sink_type->tp_alloc(S.sink_type, 0);
        if (rec == NULL) {
            Py_DECREF(k);
            Py_DECREF(v);
            Py_DECREF(h);
            goto fail;
        }
        SLOT(rec, so[S_TOPIC]) = Py_NewRef(topic);
        SLOT(rec, so[S_PARTITION]) = Py_NewRef(partition);
        SLOT(rec, so[S_KEY_SCHEMA]) = Py_NewRef(Py_None);
        SLOT(rec, so[S_KEY]) = k;
        SLOT(rec, so[S_VALUE_SCHEMA]) = Py_NewRef(Py_None);
        SLOT(rec, so[S_VALUE]) = v;
        SLOT(rec, so[S_TIMESTAMP]) = Py_NewRef(timestamp);
        SLOT(rec, so[S_HEADERS]) = h;
        SLOT(rec, so[S_OFFSET]) = Py_NewRef(offset);
        SLOT(rec, so[S_TS_TYPE]) = Py_NewRef(ts_type);
        SLOT(rec, so[S_ORIG_TOPIC]) = Py_NewRef(topic);
        SLOT(rec, so[S_ORIG_PARTITION]) = Py_NewRef(partition);
        SLOT(rec, so[S_ORIG_OFFSET]) = Py_NewRef(offset);
        PyList_SET_ITEM(out, i, rec);
    }
    Py_DECREF(seq);
    return out;
fail:
    Py_XDECREF(out);
    Py_DECREF(seq);
    return NULL;
}

/* -- a run's checks and its value map steps ------------------------------------------------------------------ */

static PyObject *one_partition_in_order(PyObject *self, PyObject *raws) {
    if (S.raw_type == NULL) return PyErr_Format(PyExc_RuntimeError, "bind() first");
    if (!PyList_CheckExact(raws)) return PyErr_Format(PyExc_TypeError, "raws must be a list");
    Py_ssize_t n = PyList_GET_SIZE(raws);
    if (n == 0) Py_RETURN_TRUE;
    const Py_ssize_t *ro = S.raw_off;
    PyObject *first = PyList_GET_ITEM(raws, 0);
    if (Py_TYPE(first) != S.raw_type) Py_RETURN_FALSE;
    PyObject *topic = SLOT(first, ro[R_TOPIC]), *partition = SLOT(first, ro[R_PARTITION]),
             *previous = SLOT(first, ro[R_OFFSET]);
    if (!topic || !partition || !previous || !PyUnicode_CheckExact(topic) || !PyLong_CheckExact(partition) ||
        !PyLong_CheckExact(previous))
        Py_RETURN_FALSE;
    for (Py_ssize_t i = 1; i < n; i++) {
        PyObject *raw = PyList_GET_ITEM(raws, i);
        if (Py_TYPE(raw) != S.raw_type) Py_RETURN_FALSE;
        PyObject *t = SLOT(raw, ro[R_TOPIC]), *p = SLOT(raw, ro[R_PARTITION]), *o = SLOT(raw, ro[R_OFFSET]);
        if (!t || !p || !o || !PyLong_CheckExact(p) || !PyLong_CheckExact(o)) Py_RETURN_FALSE;
        int same;
        if (t != topic) {
            if (!PyUnicode_CheckExact(t)) Py_RETURN_FALSE;
            if ((same = PyUnicode_Compare(t, topic)) == -1 && PyErr_Occurred()) return NULL;
            if (same != 0) Py_RETURN_FALSE;
        }
        if (p != partition) {
            if ((same = PyObject_RichCompareBool(p, partition, Py_EQ)) < 0) return NULL;
            if (!same) Py_RETURN_FALSE;
        }
        if ((same = PyObject_RichCompareBool(o, previous, Py_GE)) < 0) return NULL;
        if (!same) Py_RETURN_FALSE;
        previous = o;
    }
    Py_RETURN_TRUE;
}

/* map_values(records, steps, start) -> stop: for records[start:] in order, while a record's value is a dict,
 * value = step(record, value) for each step, then record.value = value. Returns the index of the first record it
 * did not map (its value is not a dict, or a step raised an Exception: cleared, the caller runs that record the
 * long way), or len(records). */
static PyObject *map_values(PyObject *self, PyObject *args) {
    PyObject *records, *steps;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "O!O!n", &PyList_Type, &records, &PyTuple_Type, &steps, &start)) return NULL;
    if (S.sink_type == NULL) return PyErr_Format(PyExc_RuntimeError, "bind() first");
    Py_ssize_t n = PyList_GET_SIZE(records), nsteps = PyTuple_GET_SIZE(steps);
    Py_ssize_t value_off = S.sink_off[S_VALUE];
    Py_ssize_t i = start < 0 ? 0 : start;
    for (; i < n; i++) {
        PyObject *record = PyList_GET_ITEM(records, i);
        if (Py_TYPE(record) != S.sink_type) break;
        PyObject *value = SLOT(record, value_off);
        if (value == NULL || !PyDict_CheckExact(value)) break;
        Py_INCREF(value);
        PyObject *call[2] = {record, NULL};
        for (Py_ssize_t s = 0; s < nsteps && value != NULL; s++) {
            call[1] = value;
            PyObject *next = PyObject_Vectorcall(PyTuple_GET_ITEM(steps, s), call, 2, NULL);
            Py_DECREF(value);
            value = next;
        }
        if (value == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_Exception)) return NULL;
            PyErr_Clear();
            break;
        }
        Py_XSETREF(SLOT(record, value_off), value);
    }
    return PyLong_FromSsize_t(i);
}

/* -- ReplaceField's rename, FileStreamSink's lines, the offsets to commit ------------------------------------ */

/* KeyRenamer(renames, collided)(record, owned) -> {renames.get(k, k): v for k, v in owned.items()}: ReplaceField's
 * map step when it only renames (the record is not read); when two keys land on one name, collided(record, owned)
 * answers instead (Kafka's HashMap order decides which wins). */
#define RENAMER_LAYOUT_MAX 32
typedef struct {
    PyObject_HEAD
    PyObject *renames;
    PyObject *collided;
    vectorcallfunc vectorcall;
    /* i17f: the last value's key at each position (a strong reference) and its new name (NULL: kept), so that the
     * values of a topic, whose keys a JSON parser hands over as the same str objects in the same order, are renamed
     * by a pointer compare per key instead of a lookup in renames. */
    PyObject *seen[RENAMER_LAYOUT_MAX], *renamed[RENAMER_LAYOUT_MAX];
} KeyRenamer;

static PyObject *renamer_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs != 2 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0))
        return PyErr_Format(PyExc_TypeError, "KeyRenamer takes (record, value)");
    PyObject *owned = args[1], *renames = ((KeyRenamer *)callable)->renames;
    if (!PyDict_Check(owned)) return PyErr_Format(PyExc_TypeError, "KeyRenamer renames the keys of a dict");
    KeyRenamer *self = (KeyRenamer *)callable;
    PyObject *out = _PyDict_NewPresized(PyDict_GET_SIZE(owned)); /* sized once: no resize while it fills */
    if (out == NULL) return NULL;
    Py_ssize_t pos = 0, j = 0;
    PyObject *key, *value;
    while (PyDict_Next(owned, &pos, &key, &value)) {
        PyObject *renamed;
        if (j < RENAMER_LAYOUT_MAX && self->seen[j] == key)
            renamed = self->renamed[j];
        else {
            renamed = PyDict_GetItemWithError(renames, key);
            if (renamed == NULL && PyErr_Occurred()) goto fail;
            if (j < RENAMER_LAYOUT_MAX && PyUnicode_CheckExact(key)) { /* an exact str: its lookup never changes */
                Py_XSETREF(self->seen[j], Py_NewRef(key));
                Py_XSETREF(self->renamed[j], Py_XNewRef(renamed));
            }
        }
        j++;
        if (PyDict_SetItem(out, renamed ? renamed : key, value) < 0) goto fail;
    }
    if (PyDict_GET_SIZE(out) != PyDict_GET_SIZE(owned)) {
        Py_DECREF(out);
        return PyObject_Vectorcall(((KeyRenamer *)callable)->collided, args, 2, NULL);
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyObject *renamer_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *renames, *collided;
    if (!PyArg_ParseTuple(args, "O!O:KeyRenamer", &PyDict_Type, &renames, &collided)) return NULL;
    if (!PyCallable_Check(collided)) return PyErr_Format(PyExc_TypeError, "KeyRenamer's collided must be callable");
    KeyRenamer *self = (KeyRenamer *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    Py_INCREF(collided);
    self->collided = collided;
    self->renames = PyDict_Copy(renames);
    if (self->renames == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    self->vectorcall = renamer_vectorcall;
    return (PyObject *)self;
}

static void renamer_dealloc(KeyRenamer *self) {
    for (int j = 0; j < RENAMER_LAYOUT_MAX; j++) {
        Py_CLEAR(self->seen[j]);
        Py_CLEAR(self->renamed[j]);
    }
    Py_XDECREF(self->renames);
    Py_XDECREF(self->collided);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject KeyRenamerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "connectless.native._records.KeyRenamer",
    .tp_basicsize = sizeof(KeyRenamer),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "KeyRenamer(renames, collided)(record, value): value's keys renamed by the renames dict, in order "
              "(collided(record, value) when two keys land on one name)",
    .tp_new = renamer_new,
    .tp_dealloc = (destructor)renamer_dealloc,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(KeyRenamer, vectorcall),
};

/* MillisFormat(second_text, fields, min_seconds, slow)(millis) -> JavaDateFormat.format(millis): the text of
 * millis's second comes from second_text(seconds) (a %-template of the milliseconds, remembered until the second
 * changes) and is filled with the milliseconds `fields` times; an int before min_seconds, or anything else, goes
 * to slow(millis). */
#define MILLIS_TEXT_MAX 256 /* a second's text longer than this is formatted by PyUnicode_Format */
#define MILLIS_FIELDS_MAX 8
typedef struct {
    PyObject_HEAD
    PyObject *second_text, *slow, *template;
    long long min_seconds, seconds;
    Py_ssize_t fields;
    vectorcallfunc vectorcall;
    /* The template compiled (ASCII, only %% and %0Nd in it): its literal text and where each field goes. */
    int compiled, nfields;
    Py_ssize_t literal_len, at[MILLIS_FIELDS_MAX];
    int width[MILLIS_FIELDS_MAX];
    char literal[MILLIS_TEXT_MAX];
} MillisFormat;

/* Compiles self->template when it is ASCII and holds only %% and %0Nd (N of 1 to 9) with self->fields fields, the
 * templates _second_template makes; anything else is left to PyUnicode_Format (compiled = 0). */
static void millis_compile(MillisFormat *self) {
    self->compiled = 0;
    if (!PyUnicode_IS_ASCII(self->template)) return;
    const char *t = (const char *)PyUnicode_1BYTE_DATA(self->template);
    Py_ssize_t n = PyUnicode_GET_LENGTH(self->template), out = 0;
    int nfields = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (out >= MILLIS_TEXT_MAX) return;
        if (t[i] != '%') {
            self->literal[out++] = t[i];
            continue;
        }
        if (i + 1 < n && t[i + 1] == '%') {
            self->literal[out++] = '%';
            i++;
            continue;
        }
        if (!(i + 3 < n && t[i + 1] == '0' && t[i + 2] >= '1' && t[i + 2] <= '9' && t[i + 3] == 'd')) return;
        if (nfields >= MILLIS_FIELDS_MAX) return;
        self->at[nfields] = out;
        self->width[nfields++] = t[i + 2] - '0';
        i += 3;
    }
    if (nfields != self->fields) return;
    self->nfields = nfields;
    self->literal_len = out;
    self->compiled = 1;
}

/* The compiled template filled with ms (0..999): `template % ((ms,) * fields)`, built in one allocation. */
static PyObject *millis_fill(MillisFormat *self, long long ms) {
    char digits[3];
    int ndigits = ms >= 100 ? 3 : ms >= 10 ? 2 : 1;
    for (int d = ndigits - 1, v = (int)ms; d >= 0; d--, v /= 10) digits[d] = (char)('0' + v % 10);
    Py_ssize_t size = self->literal_len;
    for (int f = 0; f < self->nfields; f++) size += self->width[f] > ndigits ? self->width[f] : ndigits;
    PyObject *text = PyUnicode_New(size, 127);
    if (text == NULL) return NULL;
    char *out = (char *)PyUnicode_1BYTE_DATA(text);
    Py_ssize_t from = 0;
    for (int f = 0; f < self->nfields; f++) {
        memcpy(out, self->literal + from, (size_t)(self->at[f] - from));
        out += self->at[f] - from;
        from = self->at[f];
        for (int pad = self->width[f] - ndigits; pad > 0; pad--) *out++ = '0';
        memcpy(out, digits, (size_t)ndigits);
        out += ndigits;
    }
    memcpy(out, self->literal + from, (size_t)(self->literal_len - from));
    return text;
}

static PyObject *millis_format_call(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    MillisFormat *self = (MillisFormat *)callable;
    if (PyVectorcall_NARGS(nargsf) != 1 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0))
        return PyErr_Format(PyExc_TypeError, "MillisFormat takes one argument");
    PyObject *millis = args[0];
    if (!PyLong_CheckExact(millis)) return PyObject_CallOneArg(self->slow, millis);
    int overflow;
    long long value = PyLong_AsLongLongAndOverflow(millis, &overflow);
    if (overflow || (value == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return PyObject_CallOneArg(self->slow, millis);
    }
    long long seconds = value / 1000, ms = value % 1000;
    if (ms < 0) { /* Python's divmod: floor */
        ms += 1000;
        seconds -= 1;
    }
    if (seconds < self->min_seconds) return PyObject_CallOneArg(self->slow, millis);
    if (self->template == NULL || self->seconds != seconds) {
        PyObject *py_seconds = PyLong_FromLongLong(seconds);
        if (py_seconds == NULL) return NULL;
        PyObject *template = PyObject_CallOneArg(self->second_text, py_seconds);
        Py_DECREF(py_seconds);
        if (template == NULL) return NULL;
        if (!PyUnicode_CheckExact(template)) {
            Py_DECREF(template);
            return PyErr_Format(PyExc_TypeError, "second_text must return a str");
        }
        Py_XSETREF(self->template, template);
        self->seconds = seconds;
        millis_compile(self);
    }
    if (self->compiled) return millis_fill(self, ms);
    PyObject *template = Py_NewRef(self->template), *fill = PyLong_FromLongLong(ms), *text = NULL;
    if (fill != NULL && self->fields != 1) {
        PyObject *tuple = PyTuple_New(self->fields);
        for (Py_ssize_t i = 0; tuple != NULL && i < self->fields; i++) PyTuple_SET_ITEM(tuple, i, Py_NewRef(fill));
        Py_SETREF(fill, tuple);
    }
    if (fill != NULL) text = PyUnicode_Format(template, fill);
    Py_XDECREF(fill);
    Py_DECREF(template);
    return text;
}

static PyObject *millis_format_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *second_text, *slow;
    Py_ssize_t fields;
    long long min_seconds;
    if (!PyArg_ParseTuple(args, "OnLO:MillisFormat", &second_text, &fields, &min_seconds, &slow)) return NULL;
    if (fields < 0) return PyErr_Format(PyExc_ValueError, "fields must be >= 0");
    MillisFormat *self = (MillisFormat *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->second_text = Py_NewRef(second_text);
    self->slow = Py_NewRef(slow);
    self->template = NULL;
    self->compiled = 0;
    self->fields = fields;
    self->min_seconds = min_seconds;
    self->vectorcall = millis_format_call;
    return (PyObject *)self;
}

static void millis_format_dealloc(MillisFormat *self) {
    Py_XDECREF(self->second_text);
    Py_XDECREF(self->slow);
    Py_XDECREF(self->template);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject MillisFormatType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "connectless.native._records.MillisFormat",
    .tp_basicsize = sizeof(MillisFormat),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "MillisFormat(second_text, fields, min_seconds, slow)(millis): JavaDateFormat.format's text",
    .tp_new = millis_format_new,
    .tp_dealloc = (destructor)millis_format_dealloc,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(MillisFormat, vectorcall),
};

/* IntFieldStep(field, direct, convert)(record, owned) -> owned, with owned[field] = direct(current) when current
 * (owned.get(field)) is an int and direct is not None, else convert(current): TimestampConverter's map step. */
typedef struct {
    PyObject_HEAD
    PyObject *field, *direct, *convert;
    vectorcallfunc vectorcall;
} IntFieldStep;

static PyObject *int_field_call(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    IntFieldStep *self = (IntFieldStep *)callable;
    if (PyVectorcall_NARGS(nargsf) != 2 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0))
        return PyErr_Format(PyExc_TypeError, "IntFieldStep takes (record, value)");
    PyObject *owned = args[1];
    if (!PyDict_Check(owned)) return PyErr_Format(PyExc_TypeError, "IntFieldStep changes a dict");
    PyObject *current = PyDict_GetItemWithError(owned, self->field);
    if (current == NULL) {
        if (PyErr_Occurred()) return NULL;
        current = Py_None;
    }
    Py_INCREF(current);
    PyObject *converter = self->direct != Py_None && PyLong_CheckExact(current) ? self->direct : self->convert;
    PyObject *result = PyObject_CallOneArg(converter, current);
    Py_DECREF(current);
    if (result == NULL) return NULL;
    int failed = PyDict_SetItem(owned, self->field, result);
    Py_DECREF(result);
    if (failed < 0) return NULL;
    return Py_NewRef(owned);
}

static PyObject *int_field_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *field, *direct, *convert;
    if (!PyArg_ParseTuple(args, "OOO:IntFieldStep", &field, &direct, &convert)) return NULL;
    IntFieldStep *self = (IntFieldStep *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->field = Py_NewRef(field);
    self->direct = Py_NewRef(direct);
    self->convert = Py_NewRef(convert);
    self->vectorcall = int_field_call;
    return (PyObject *)self;
}

static void int_field_dealloc(IntFieldStep *self) {
    Py_XDECREF(self->field);
    Py_XDECREF(self->direct);
    Py_XDECREF(self->convert);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject IntFieldStepType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "connectless.native._records.IntFieldStep",
    .tp_basicsize = sizeof(IntFieldStep),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "IntFieldStep(field, direct, convert)(record, value): a field of the dict value converted",
    .tp_new = int_field_new,
    .tp_dealloc = (destructor)int_field_dealloc,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(IntFieldStep, vectorcall),
};

/* == i17f: FileStreamSink's lines, JSON written into the task's kept buffer =================================== */

/* json_lines_into(records, start, buffer) -> (stop, used, slow): to_json_line(record.value) of records[start:], one after
 * the other, into the bytearray buffer (its size never changes: no heap growth per put) until the next line does
 * not fit or a value is not covered here; used bytes are filled. slow: records[stop].value is not covered (or its
 * line alone is larger than the buffer): the caller writes to_json_line of it itself, so its result or its
 * error is orjson's. Covered, as orjson.dumps writes them: dicts (str keys) and lists of str, int (64 bits), bool,
 * None, dicts and lists, and a str at the top (its UTF-8 as it is). */

enum { JL_OK, JL_SLOW, JL_FULL };
#define JL_MAX_DEPTH 64

typedef struct {
    char *p, *end;
} JsonOut;

static unsigned char jl_escape[256]; /* 0: as it is; else the letter of a short escape, or 'u' for \u00XX */

static void jl_init(void) {
    for (int c = 0; c < 0x20; c++) jl_escape[c] = 'u';
    jl_escape['\b'] = 'b';
    jl_escape['\f'] = 'f';
    jl_escape['\n'] = 'n';
    jl_escape['\r'] = 'r';
    jl_escape['\t'] = 't';
    jl_escape['"'] = '"';
    jl_escape['\\'] = '\\';
}

static int jl_bytes(JsonOut *o, const char *s, Py_ssize_t n) {
    if (o->end - o->p < n) return JL_FULL;
    memcpy(o->p, s, (size_t)n);
    o->p += n;
    return JL_OK;
}

/* The first index from i on of a byte that needs an escape (< 0x20, '"' or '\\'), or n: 8 bytes a step. */
static inline Py_ssize_t jl_plain_run(const char *s, Py_ssize_t i, Py_ssize_t n) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
        uint64_t special = ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash);
        if (special & highs) break; /* one of these 8: found below, byte by byte */
    }
    while (i < n && !jl_escape[(unsigned char)s[i]]) i++;
    return i;
}

/* The decimal digits of v at the end of buf (24 bytes); returns where they start. */
static inline char *jl_digits(char *end, unsigned long long v) {
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

static int jl_str(JsonOut *o, PyObject *text) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(text, &n);
    if (s == NULL) { /* surrogates: orjson's error, from the caller's to_json_line */
        PyErr_Clear();
        return JL_SLOW;
    }
    if (o->end - o->p < n + 2) return JL_FULL;
    char *p = o->p;
    *p++ = '"';
    Py_ssize_t i = 0;
    while (i < n) {
        Py_ssize_t run = jl_plain_run(s, i, n);
        if (o->end - p < run - i + 2) return JL_FULL;
        memcpy(p, s + i, (size_t)(run - i));
        p += run - i;
        if (run == n) break;
        unsigned char c = (unsigned char)s[run], e = jl_escape[c];
        if (o->end - p < 7) return JL_FULL;
        *p++ = '\\';
        if (e == 'u') {
            static const char hex[] = "0123456789abcdef";
            *p++ = 'u';
            *p++ = '0';
            *p++ = '0';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        } else
            *p++ = (char)e;
        i = run + 1;
    }
    if (o->end - p < 1) return JL_FULL;
    *p++ = '"';
    o->p = p;
    return JL_OK;
}

static int jl_int(JsonOut *o, PyObject *number) {
    char digits[24], *end = digits + sizeof digits, *first;
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(number, &overflow);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (overflow == 0 && v >= 0)
        first = jl_digits(end, (unsigned long long)v);
    else if (overflow == 0) { /* the magnitude as unsigned: -2**63 too */
        first = jl_digits(end, 0ULL - (unsigned long long)v);
        *--first = '-';
    } else if (overflow > 0) { /* up to 2**64 - 1, as orjson */
        unsigned long long u = PyLong_AsUnsignedLongLong(number);
        if (u == (unsigned long long)-1 && PyErr_Occurred()) {
            PyErr_Clear();
            return JL_SLOW;
        }
        first = jl_digits(end, u);
    } else
        return JL_SLOW;
    return jl_bytes(o, first, end - first);
}

/* The top-level keys' text ("key":) at each position of the last value written, with a strong reference to each
 * key: a topic's values hand over the same key objects in the same order (a JSON parser's key cache, a rename's
 * names), so a key's text is one copy instead of its escape scan. A str is immutable: its text never changes. */
#define JL_KEYS_MAX 32
#define JL_KEY_TEXT_MAX 64
static struct {
    PyObject *key;
    Py_ssize_t len;
    char text[JL_KEY_TEXT_MAX];
} jl_keys[JL_KEYS_MAX];

/* "key": for an exact str key at top-level position j (JL_KEYS_MAX: not remembered). */
static int jl_key(JsonOut *o, PyObject *key, Py_ssize_t j) {
    if (j < JL_KEYS_MAX && jl_keys[j].key == key) return jl_bytes(o, jl_keys[j].text, jl_keys[j].len);
    char *at = o->p;
    int r;
    if ((r = jl_str(o, key)) != JL_OK || (r = jl_bytes(o, ":", 1)) != JL_OK) return r;
    Py_ssize_t len = o->p - at;
    if (j < JL_KEYS_MAX && len <= JL_KEY_TEXT_MAX) {
        Py_XSETREF(jl_keys[j].key, Py_NewRef(key));
        memcpy(jl_keys[j].text, at, (size_t)len);
        jl_keys[j].len = len;
    }
    return JL_OK;
}

static int jl_value(JsonOut *o, PyObject *v, int depth) {
    int r;
    if (PyUnicode_CheckExact(v)) return jl_str(o, v);
    if (v == Py_None) return jl_bytes(o, "null", 4);
    if (v == Py_True) return jl_bytes(o, "true", 4);
    if (v == Py_False) return jl_bytes(o, "false", 5);
    if (PyLong_CheckExact(v)) return jl_int(o, v);
    if (depth >= JL_MAX_DEPTH) return JL_SLOW;
    if (PyDict_CheckExact(v)) {
        if ((r = jl_bytes(o, "{", 1)) != JL_OK) return r;
        Py_ssize_t pos = 0, j = 0;
        PyObject *key, *item;
        while (PyDict_Next(v, &pos, &key, &item)) {
            if (!PyUnicode_CheckExact(key)) return JL_SLOW;
            if (j > 0 && (r = jl_bytes(o, ",", 1)) != JL_OK) return r;
            if ((r = jl_key(o, key, depth == 0 ? j : JL_KEYS_MAX)) != JL_OK ||
                (r = jl_value(o, item, depth + 1)) != JL_OK)
                return r;
            j++;
        }
        return jl_bytes(o, "}", 1);
    }
    if (PyList_CheckExact(v)) {
        if ((r = jl_bytes(o, "[", 1)) != JL_OK) return r;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(v); i++) {
            if (i > 0 && (r = jl_bytes(o, ",", 1)) != JL_OK) return r;
            if ((r = jl_value(o, PyList_GET_ITEM(v, i), depth + 1)) != JL_OK) return r;
        }
        return jl_bytes(o, "]", 1);
    }
    return JL_SLOW;
}

/* One value's line at o->p: JL_OK, JL_SLOW, JL_FULL, or -1 with an exception set. */
static int jl_line(JsonOut *o, PyObject *value) {
    int r;
    if (PyUnicode_CheckExact(value)) { /* to_json_line: the text's UTF-8 as it is */
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(value, &n);
        if (s == NULL) {
            PyErr_Clear();
            return JL_SLOW;
        }
        if ((r = jl_bytes(o, s, n)) != JL_OK) return r;
    } else if (PyDict_CheckExact(value) || PyList_CheckExact(value)) {
        if ((r = jl_value(o, value, 0)) != JL_OK) return r;
    } else
        return JL_SLOW;
    return jl_bytes(o, "\n", 1);
}

static PyObject *json_lines_into(PyObject *self, PyObject *args) {
    PyObject *records, *buffer;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "OnO!", &records, &start, &PyByteArray_Type, &buffer)) return NULL;
    if (S.sink_type == NULL) return PyErr_Format(PyExc_RuntimeError, "bind() first");
    PyObject *seq = PySequence_Fast(records, "records must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq), value_off = S.sink_off[S_VALUE];
    PyObject **items = PySequence_Fast_ITEMS(seq);
    char *base = PyByteArray_AS_STRING(buffer);
    JsonOut o = {base, base + PyByteArray_GET_SIZE(buffer)};
    Py_ssize_t i = start < 0 ? 0 : start;
    int slow = 0;
    for (; i < n; i++) {
        char *line = o.p;
        PyObject *value = Py_TYPE(items[i]) == S.sink_type ? SLOT(items[i], value_off) : NULL;
        if (value == NULL) { /* not a SinkRecord (or its value unset): the caller's record.value */
            slow = 1;
            break;
        }
        int r = jl_line(&o, value);
        if (r == JL_OK) continue;
        o.p = line; /* the line is not there */
        if (r < 0) {
            Py_DECREF(seq);
            return NULL;
        }
        slow = r == JL_SLOW || line == base; /* a line larger than the whole buffer: the caller's too */
        break;
    }
    Py_DECREF(seq);
    return Py_BuildValue("nnO", i, (Py_ssize_t)(o.p - base), slow ? Py_True : Py_False);
}

/* StaticField(name, value)(record, owned) -> owned, with owned[name] = value: InsertField's map step when it
 * inserts only a static field (the record is not read). */
typedef struct {
    PyObject_HEAD
    PyObject *name, *value;
    vectorcallfunc vectorcall;
} StaticField;

static PyObject *static_field_call(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    StaticField *self = (StaticField *)callable;
    if (PyVectorcall_NARGS(nargsf) != 2 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0))
        return PyErr_Format(PyExc_TypeError, "StaticField takes (record, value)");
    if (PyObject_SetItem(args[1], self->name, self->value) < 0) return NULL;
    return Py_NewRef(args[1]);
}

static PyObject *static_field_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *name, *value;
    if (!PyArg_ParseTuple(args, "OO:StaticField", &name, &value)) return NULL;
    StaticField *self = (StaticField *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->name = Py_NewRef(name);
    self->value = Py_NewRef(value);
    self->vectorcall = static_field_call;
    return (PyObject *)self;
}

static void static_field_dealloc(StaticField *self) {
    Py_XDECREF(self->name);
    Py_XDECREF(self->value);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject StaticFieldType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "connectless.native._records.StaticField",
    .tp_basicsize = sizeof(StaticField),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "StaticField(name, value)(record, owned): owned with owned[name] = value",
    .tp_new = static_field_new,
    .tp_dealloc = (destructor)static_field_dealloc,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(StaticField, vectorcall),
};

/* == end of i17f's section ====================================================================================== */

/* 1 when `raw` is a RawRecord of that topic and partition, 0 when not, -1 on error. */
static int same_partition(PyObject *raw, PyObject *topic, PyObject *partition) {
    const Py_ssize_t *ro = S.raw_off;
    if (Py_TYPE(raw) != S.raw_type || SLOT(raw, ro[R_OFFSET]) == NULL) return 0;
    PyObject *t = SLOT(raw, ro[R_TOPIC]), *p = SLOT(raw, ro[R_PARTITION]);
    if (t == NULL || p == NULL) return 0;
    int same = 1;
    if (t != topic && (same = PyObject_RichCompareBool(t, topic, Py_EQ)) <= 0) return same;
    if (p != partition && (same = PyObject_RichCompareBool(p, partition, Py_EQ)) <= 0) return same;
    return 1;
}

/* last_offsets(raws) -> {(topic, partition): offset + 1} for the last record of each partition, keys in the order
 * partitions first appear (sink_batch.next_offsets's loop, a tuple per run of a partition instead of per record). */
static PyObject *last_offsets(PyObject *self, PyObject *raws) {
    if (S.raw_type == NULL) return PyErr_Format(PyExc_RuntimeError, "bind() first");
    PyObject *seq = PySequence_Fast(raws, "raws must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *last = PyDict_New();
    if (last == NULL) goto fail;
    const Py_ssize_t *ro = S.raw_off;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *raw = items[i];
        if (Py_TYPE(raw) != S.raw_type) {
            PyErr_SetString(PyExc_TypeError, "not a RawRecord");
            goto fail;
        }
        PyObject *topic = SLOT(raw, ro[R_TOPIC]), *partition = SLOT(raw, ro[R_PARTITION]);
        if (topic == NULL || partition == NULL || SLOT(raw, ro[R_OFFSET]) == NULL) {
            PyErr_SetString(PyExc_AttributeError, "a RawRecord with a field unset");
            goto fail;
        }
        if (i + 1 < n) { /* the run of this partition goes on: its last record decides */
            PyObject *next = items[i + 1];
            int same = same_partition(next, topic, partition);
            if (same < 0) goto fail;
            if (same) continue;
        }
        PyObject *key = PyTuple_Pack(2, topic, partition);
        if (key == NULL) goto fail;
        PyObject *one = PyLong_FromLong(1);
        PyObject *next_offset = one ? PyNumber_Add(SLOT(raw, ro[R_OFFSET]), one) : NULL;
        Py_XDECREF(one);
        if (next_offset == NULL || PyDict_SetItem(last, key, next_offset) < 0) {
            Py_DECREF(key);
            Py_XDECREF(next_offset);
            goto fail;
        }
        Py_DECREF(key);
        Py_DECREF(next_offset);
    }
    Py_DECREF(seq);
    return last;
fail:
    Py_XDECREF(last);
    Py_DECREF(seq);
    return NULL;
}

/* ==== i17p: the event-source-mapping poller's side (standalone/esm_emulator.py) ==================================
 * raws_from_messages(messages, ts_types, no_ts_type, fallback)  consumed confluent-kafka Messages -> RawRecords
 * encode_records(raws, topic_json, ts_type_json, no_ts_type_json, fallback)  encode_record over a list
 */

/* The Message methods raws_from_messages calls, looked up once per message type (confluent_kafka.cimpl.Message). */
enum { M_ERROR, M_TOPIC, M_PARTITION, M_OFFSET, M_TIMESTAMP, M_KEY, M_VALUE, M_HEADERS, M_COUNT };
static const char *message_methods[M_COUNT] = {"error", "topic", "partition", "offset", "timestamp", "key",
                                               "value", "headers"};
static PyTypeObject *message_type;          /* the type the methods below were looked up on */
static PyObject *message_method[M_COUNT];   /* its unbound methods, called with the message as first argument */

static int bind_message_type(PyTypeObject *type) {
    PyObject *found[M_COUNT];
    for (int i = 0; i < M_COUNT; i++) {
        if ((found[i] = PyObject_GetAttrString((PyObject *)type, message_methods[i])) == NULL) {
            for (int j = 0; j < i; j++) Py_DECREF(found[j]);
            return -1;
        }
    }
    for (int i = 0; i < M_COUNT; i++) Py_XSETREF(message_method[i], found[i]);
    Py_INCREF(type);
    Py_XSETREF(message_type, type);
    return 0;
}

static inline PyObject *message_call(PyObject *msg, int method) {
    return PyObject_Vectorcall(message_method[method], &msg, 1, NULL);
}

/* The headers as raw_records' loop makes them: () for None or [], else a tuple of the (str, bytes | None) pairs
 * when every pair is already exactly that (then str(k) and bytes(v) would give the same objects). NULL without an
 * exception for anything else (Python converts it). Steals nothing; returns a new reference. */
static PyObject *message_headers(PyObject *headers) {
    if (headers == Py_None || (PyList_CheckExact(headers) && PyList_GET_SIZE(headers) == 0))
        return Py_NewRef(S.empty_tuple);
    if (!PyList_CheckExact(headers)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(headers);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *pair = PyList_GET_ITEM(headers, i);
        if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2) return NULL;
        PyObject *k = PyTuple_GET_ITEM(pair, 0), *v = PyTuple_GET_ITEM(pair, 1);
        if (!PyUnicode_CheckExact(k) || (v != Py_None && !PyBytes_CheckExact(v))) return NULL;
    }
    return PyList_AsTuple(headers);
}

/* The RawRecord of one message without an error; NULL without an exception when the fast path does not cover it
 * exactly (Python builds it), NULL with an exception on error. */
static PyObject *raw_of_message(PyObject *msg, PyObject *ts_types, PyObject *no_ts_type, PyObject **previous_topic) {
    PyObject *got[M_COUNT] = {NULL};
    PyObject *raw = NULL, *headers = NULL;
    for (int i = M_TOPIC; i < M_COUNT; i++)
        if ((got[i] = message_call(msg, i)) == NULL) goto done;
    PyObject *topic = got[M_TOPIC], *partition = got[M_PARTITION], *offset = got[M_OFFSET],
             *stamp = got[M_TIMESTAMP];
    /* `msg.topic() or ""`, `msg.partition() or 0`, `msg.offset() or 0`: the fast path takes the exact types */
    if (!PyUnicode_CheckExact(topic) || !PyLong_CheckExact(partition) || !PyLong_CheckExact(offset) ||
        !PyTuple_CheckExact(stamp) || PyTuple_GET_SIZE(stamp) != 2 || PyUnicode_GET_LENGTH(topic) == 0)
        goto done;
    if (*previous_topic != NULL && topic != *previous_topic) { /* one str per run of a topic: later checks by identity */
        int same = PyUnicode_Compare(topic, *previous_topic);
        if (same == -1 && PyErr_Occurred()) goto done;
        if (same == 0) topic = *previous_topic;
    }
    PyObject *ts_type = PyTuple_GET_ITEM(stamp, 0), *ts = PyTuple_GET_ITEM(stamp, 1);
    if (!PyLong_CheckExact(ts_type)) goto done;
    int stamped = PyObject_IsTrue(ts_type);
    if (stamped < 0) goto done;
    PyObject *ts_name = PyDict_GetItemWithError(ts_types, ts_type);
    if (ts_name == NULL && PyErr_Occurred()) goto done;
    if ((headers = message_headers(got[M_HEADERS])) == NULL) goto done;
    if ((raw = S.raw_type->tp_alloc(S.raw_type, 0)) == NULL) goto done;
    const Py_ssize_t *ro = S.raw_off;
    SLOT(raw, ro[R_TOPIC]) = Py_NewRef(topic);
    SLOT(raw, ro[R_PARTITION]) = Py_NewRef(partition);
    SLOT(raw, ro[R_OFFSET]) = Py_NewRef(offset);
    SLOT(raw, ro[R_TIMESTAMP]) = Py_NewRef(stamped ? ts : Py_None);
    SLOT(raw, ro[R_TS_TYPE]) = Py_NewRef(ts_name ? ts_name : no_ts_type);
    SLOT(raw, ro[R_KEY]) = Py_NewRef(got[M_KEY]);
    SLOT(raw, ro[R_VALUE]) = Py_NewRef(got[M_VALUE]);
    SLOT(raw, ro[R_HEADERS]) = headers;
    headers = NULL;
    *previous_topic = topic; /* borrowed: the record just built holds it, and the list holds the record */
    /* Its fields are str, int, bytes, None and tuples of those: it can be in no reference cycle, so the cycle
     * collector need not count or walk the batch (a poller holds two batches of up to 10,000). */
    if (PyObject_GC_IsTracked(raw)) PyObject_GC_UnTrack(raw);
done:
    for (int i = 0; i < M_COUNT; i++) Py_XDECREF(got[i]);
    Py_XDECREF(headers);
    return raw;
}

/* raws_from_messages(messages, ts_types, no_ts_type, fallback) -> [RawRecord]: raw_records.raws_from_messages's
 * loop. ts_types: {timestamp type code: Kafka Connect's name}; a message with an error, or whose fields the fast
 * path does not take exactly, goes to fallback([message]) (the Python loop), whose records join the list. */
static PyObject *raws_from_messages(PyObject *self, PyObject *args) {
    PyObject *messages, *ts_types, *no_ts_type, *fallback;
    if (!PyArg_ParseTuple(args, "OO!UO", &messages, &PyDict_Type, &ts_types, &no_ts_type, &fallback)) return NULL;
    if (S.raw_type == NULL) return PyErr_Format(PyExc_RuntimeError, "bind() first");
    PyObject *seq = PySequence_Fast(messages, "messages must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *out = PyList_New(0), *previous_topic = NULL;
    if (out == NULL) goto fail;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *msg = PySequence_Fast_GET_ITEM(seq, i), *raw = NULL;
        if (Py_TYPE(msg) != message_type && bind_message_type(Py_TYPE(msg)) < 0) goto fail;
        PyObject *error = message_call(msg, M_ERROR);
        if (error == NULL) goto fail;
        if (error == Py_None) raw = raw_of_message(msg, ts_types, no_ts_type, &previous_topic);
        Py_DECREF(error);
        if (raw == NULL) {
            if (PyErr_Occurred()) goto fail;
            PyObject *one = PyList_New(1);
            if (one == NULL) goto fail;
            PyList_SET_ITEM(one, 0, Py_NewRef(msg));
            PyObject *built = PyObject_CallOneArg(fallback, one);
            Py_DECREF(one);
            if (built == NULL) goto fail;
            Py_ssize_t end = PyList_GET_SIZE(out);
            int extended = PyList_Check(built) ? PyList_SetSlice(out, end, end, built) : -1;
            if (extended < 0 && !PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "fallback must return a list");
            Py_DECREF(built);
            if (extended < 0) goto fail;
            continue;
        }
        int appended = PyList_Append(out, raw);
        Py_DECREF(raw);
        if (appended < 0) goto fail;
    }
    Py_DECREF(seq);
    return out;
fail:
    Py_XDECREF(out);
    Py_DECREF(seq);
    return NULL;
}

/* encode_records(raws, topic_json, ts_type_json, no_ts_type_json, fallback) -> [bytes]: encode_record of each. */
static PyObject *encode_records(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5) return PyErr_Format(PyExc_TypeError, "encode_records takes 5 arguments");
    PyObject *seq = PySequence_Fast(args[0], "raws must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *out = PyList_New(n);
    if (out == NULL) goto fail;
    PyObject *call[5] = {NULL, args[1], args[2], args[3], args[4]};
    for (Py_ssize_t i = 0; i < n; i++) {
        call[0] = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *data = encode_record(self, call, 5);
        if (data == NULL) goto fail;
        PyList_SET_ITEM(out, i, data);
    }
    Py_DECREF(seq);
    return out;
fail:
    Py_XDECREF(out);
    Py_DECREF(seq);
    return NULL;
}

/* ==== end of i17p's section ====================================================================================== */

/* ==== i17e: a Lambda Kafka event's JSON bytes -> its head and RawRecords, in one pass ============================
 * parse_kafka_event(data) -> (head, decoded) | None
 *
 * The sink function's runtime client hands lambda_sink/events.py's loads_event the event's bytes; the Python path
 * parses them with orjson into dicts of str (base64) and then builds the RawRecords (raws_from_event). This reads
 * the bytes once, straight into RawRecords: `head` is the event's other fields ({"eventSource": ..., ...}), `decoded`
 * {"<topic>-<partition>": [RawRecord, ...]} in the event's order, what parse_event's _raws_from gives each list.
 *
 * It takes only events whose every part it knows exactly, in a shape DecodedKafkaEvent gives back unchanged: the
 * head's values strings; each record an object of exactly topic, partition, offset, timestamp (an integer >= 0, or
 * -1 for none), timestampType (CREATE_TIME, LOG_APPEND_TIME or NO_TIMESTAMP_TYPE), headers (objects of one name and
 * an array of byte values), and key and value when present (canonical base64 strings, or null: None, as Python reads
 * it; DecodedKafkaEvent's records view then leaves the field out, as the emulator writes none); numbers in 64 bits.
 * Anything else (another field, another null, a float, a duplicate key, an escape in base64, JSON that is not valid)
 * returns None: the caller then parses with orjson and the Python path decides, errors included.
 */

typedef struct {
    const unsigned char *p, *end;
    PyObject *ts_names[3]; /* Kafka Connect's name of CREATE_TIME, LOG_APPEND_TIME, NO_TIMESTAMP_TYPE (borrowed) */
    const unsigned char *topic_at; /* the last topic's JSON text and its str, shared by a partition's records */
    Py_ssize_t topic_len;
    PyObject *topic; /* a strong reference */
} EventCursor;

/* Each function below: 1 when it read its part, 0 when the part is not one it takes (no exception set: the caller
 * falls back to Python), -1 on an error (exception set: memory). */
#define EV_SURE(x)                  \
    do {                            \
        int ev_r_ = (x);            \
        if (ev_r_ <= 0) return ev_r_; \
    } while (0)

static inline void ev_ws(EventCursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t')) c->p++;
}

/* The next non-space byte is `ch`: consumed. */
static inline int ev_expect(EventCursor *c, unsigned char ch) {
    ev_ws(c);
    if (c->p >= c->end || *c->p != ch) return 0;
    c->p++;
    return 1;
}

/* A JSON string's raw text (between the quotes): *escaped when it holds a backslash. Control characters (which
 * JSON forbids unescaped) are not taken. */
static int ev_string_span(EventCursor *c, const unsigned char **s, Py_ssize_t *n, int *escaped) {
    if (!ev_expect(c, '"')) return 0;
    const unsigned char *p = c->p, *end = c->end;
    int esc = 0;
    for (; p < end; p++) {
        unsigned char ch = *p;
        if (ch == '"') break;
        if (ch == '\\') {
            esc = 1;
            p++; /* the escaped character: never the closing quote */
        } else if (ch < 0x20)
            return 0;
    }
    if (p >= end) return 0;
    *s = c->p;
    *n = p - c->p;
    *escaped = esc;
    c->p = p + 1;
    return 1;
}

static int ev_hex4(const unsigned char *s, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char ch = s[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9') v |= ch - '0';
        else if (ch >= 'a' && ch <= 'f') v |= ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F') v |= ch - 'A' + 10;
        else return 0;
    }
    *out = v;
    return 1;
}

/* The str of a string span; invalid UTF-8, a lone surrogate or an unknown escape: 0. */
static int ev_str(const unsigned char *s, Py_ssize_t n, int escaped, PyObject **out) {
    if (!escaped) {
        *out = PyUnicode_DecodeUTF8((const char *)s, n, "strict");
    } else {
        unsigned char *buf = PyMem_Malloc(n > 0 ? (size_t)n : 1), *w = buf; /* escapes never grow in UTF-8 */
        if (buf == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        const unsigned char *end = s + n;
        while (s < end) {
            if (*s != '\\') {
                *w++ = *s++;
                continue;
            }
            /* ev_string_span saw a character after each backslash */
            unsigned char e = s[1];
            const char *simple = strchr("\"\\/bfnrt", e);
            if (e != 0 && simple != NULL) {
                *w++ = (unsigned char)"\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
                s += 2;
                continue;
            }
            unsigned cp, low;
            if (e != 'u' || end - s < 6 || !ev_hex4(s + 2, &cp)) goto unsure;
            s += 6;
            if (cp >= 0xDC00 && cp <= 0xDFFF) goto unsure;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - s < 6 || s[0] != '\\' || s[1] != 'u' || !ev_hex4(s + 2, &low) || low < 0xDC00 ||
                    low > 0xDFFF)
                    goto unsure;
                s += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            if (cp < 0x80) *w++ = (unsigned char)cp;
            else if (cp < 0x800) {
                *w++ = (unsigned char)(0xC0 | cp >> 6);
                *w++ = (unsigned char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                *w++ = (unsigned char)(0xE0 | cp >> 12);
                *w++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
                *w++ = (unsigned char)(0x80 | (cp & 0x3F));
            } else {
                *w++ = (unsigned char)(0xF0 | cp >> 18);
                *w++ = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
                *w++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
                *w++ = (unsigned char)(0x80 | (cp & 0x3F));
            }
        }
        *out = PyUnicode_DecodeUTF8((const char *)buf, w - buf, "strict");
        PyMem_Free(buf);
        goto decoded;
    unsure:
        PyMem_Free(buf);
        return 0;
    }
decoded:
    if (*out != NULL) return 1;
    if (PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) { /* orjson refuses it too: Python's error to give */
        PyErr_Clear();
        return 0;
    }
    return -1;
}

/* A JSON string as a new str. */
static int ev_read_str(EventCursor *c, PyObject **out) {
    const unsigned char *s;
    Py_ssize_t n;
    int escaped;
    EV_SURE(ev_string_span(c, &s, &n, &escaped));
    return ev_str(s, n, escaped, out);
}

/* A JSON integer that fits 64 bits signed; a fraction or an exponent (a float to Python): 0. */
static int ev_int(EventCursor *c, long long *out) {
    ev_ws(c);
    const unsigned char *p = c->p, *end = c->end;
    int negative = p < end && *p == '-';
    if (negative) p++;
    if (p >= end || *p < '0' || *p > '9') return 0;
    if (*p == '0' && p + 1 < end && p[1] >= '0' && p[1] <= '9') return 0; /* a leading zero: not JSON */
    unsigned long long v = 0;
    int digits = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
        if (digits == 19) return 0;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (p < end && (*p == '.' || *p == 'e' || *p == 'E')) return 0;
    if (v > (unsigned long long)LLONG_MAX + (unsigned long long)negative) return 0;
    *out = negative ? (long long)(0ULL - v) : (long long)v;
    c->p = p;
    return 1;
}

static int ev_int_object(EventCursor *c, PyObject **out) {
    long long v;
    EV_SURE(ev_int(c, &v));
    *out = PyLong_FromLongLong(v);
    return *out ? 1 : -1;
}

/* The unused bits of base64's last character are 0: the base64 Lambda's poller writes, and DecodedKafkaEvent's. */
static inline int ev_b64_tail_clean(const unsigned char *s, Py_ssize_t n) {
    return !(n >= 4 && s[n - 1] == '=' &&
             (s[n - 2] == '=' ? (b64_table[s[n - 3]] & 0x0F) != 0 : (b64_table[s[n - 2]] & 0x03) != 0));
}

/* A base64 string written with JSON escapes (e.g. "\/", as some writers escape '/'): unescaped, then decoded. */
static int ev_base64_escaped(EventCursor *c, const unsigned char *quote, PyObject **out) {
    PyObject *text;
    c->p = quote;
    EV_SURE(ev_read_str(c, &text));
    int r = 0;
    if (PyUnicode_IS_COMPACT_ASCII(text)) {
        const unsigned char *s = PyUnicode_DATA(text);
        Py_ssize_t n = PyUnicode_GET_LENGTH(text);
        if (ev_b64_tail_clean(s, n) && (*out = b64_decode_span(s, n)) != NULL) r = 1;
        else if (PyErr_Occurred()) r = -1;
    }
    Py_DECREF(text);
    return r;
}

/* A base64 string as bytes: decoded from the JSON buffer itself ('\\' is not in the alphabet: a string with escapes
 * fails there and takes ev_base64_escaped). */
static int ev_base64(EventCursor *c, PyObject **out) {
    if (!ev_expect(c, '"')) return 0;
    const unsigned char *s = c->p, *q = memchr(s, '"', (size_t)(c->end - s));
    if (q == NULL) return 0;
    Py_ssize_t n = q - s;
    if (ev_b64_tail_clean(s, n) && (*out = b64_decode_span(s, n)) != NULL) {
        c->p = q + 1;
        return 1;
    }
    if (PyErr_Occurred()) return -1;
    return memchr(s, '\\', (size_t)n) != NULL ? ev_base64_escaped(c, s - 1, out) : 0;
}

/* One header: {"<name>": [byte, ...]} as (name, bytes). */
static int ev_header(EventCursor *c, PyObject **out) {
    PyObject *name = NULL, *data = NULL;
    int r = 0;
    if (!ev_expect(c, '{') || (r = ev_read_str(c, &name)) <= 0) return r;
    r = 0;
    if (!ev_expect(c, ':') || !ev_expect(c, '[')) goto done;
    Py_ssize_t size = 0, cap = 16;
    if ((data = PyBytes_FromStringAndSize(NULL, cap)) == NULL) goto error;
    ev_ws(c);
    if (c->p < c->end && *c->p == ']')
        c->p++;
    else
        for (;;) {
            long long byte;
            if ((r = ev_int(c, &byte)) <= 0) goto done;
            r = 0;
            if (byte < 0 || byte > 255) goto done;
            if (size == cap && _PyBytes_Resize(&data, cap *= 2) < 0) goto error;
            PyBytes_AS_STRING(data)[size++] = (char)byte;
            ev_ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                continue;
            }
            if (!ev_expect(c, ']')) goto done;
            break;
        }
    if (!ev_expect(c, '}')) goto done; /* one name per object, as Lambda writes them */
    if (_PyBytes_Resize(&data, size) < 0) goto error;
    if ((*out = PyTuple_Pack(2, name, data)) == NULL) goto error;
    r = 1;
    goto done;
error:
    r = -1;
done:
    Py_XDECREF(name);
    Py_XDECREF(data);
    return r;
}

static int ev_headers(EventCursor *c, PyObject **out) {
    if (!ev_expect(c, '[')) return 0;
    ev_ws(c);
    if (c->p < c->end && *c->p == ']') {
        c->p++;
        *out = Py_NewRef(S.empty_tuple);
        return 1;
    }
    PyObject *list = PyList_New(0), *header = NULL;
    if (list == NULL) return -1;
    int r;
    for (;;) {
        if ((r = ev_header(c, &header)) <= 0) goto done;
        int appended = PyList_Append(list, header);
        Py_DECREF(header);
        if (appended < 0) {
            r = -1;
            goto done;
        }
        ev_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        r = ev_expect(c, ']');
        break;
    }
    if (r == 1 && (*out = PyList_AsTuple(list)) == NULL) r = -1;
done:
    Py_DECREF(list);
    return r;
}

/* `s` (n bytes) is `text` (a literal). */
#define EV_IS(s, n, text) ((n) == sizeof(text) - 1 && memcmp((s), (text), sizeof(text) - 1) == 0)

/* One record's key: which field it names (E_*), by its text. */
static inline int ev_field_of(const unsigned char *s, Py_ssize_t n) {
    switch (n) {
    case 3: return EV_IS(s, n, "key") ? E_KEY : -1;
    case 5: return EV_IS(s, n, "topic") ? E_TOPIC : EV_IS(s, n, "value") ? E_VALUE : -1;
    case 6: return EV_IS(s, n, "offset") ? E_OFFSET : -1;
    case 7: return EV_IS(s, n, "headers") ? E_HEADERS : -1;
    case 9: return EV_IS(s, n, "partition") ? E_PARTITION : EV_IS(s, n, "timestamp") ? E_TIMESTAMP : -1;
    case 13: return EV_IS(s, n, "timestampType") ? E_TS_TYPE : -1;
    default: return -1;
    }
}

/* One event record as a new RawRecord. */
static int ev_record(EventCursor *c, PyObject **out) {
    PyObject *f[E_COUNT] = {NULL}; /* new references: topic, partition, offset, timestamp, type, key, value, headers */
    int r = 0;
    if (!ev_expect(c, '{')) return 0;
    for (int first = 1;; first = 0) {
        ev_ws(c);
        if (first && c->p < c->end && *c->p == '}') {
            c->p++;
            break;
        }
        const unsigned char *s;
        Py_ssize_t n;
        int escaped, which;
        if ((r = ev_string_span(c, &s, &n, &escaped)) <= 0) goto done;
        r = 0;
        if (escaped || (which = ev_field_of(s, n)) < 0 || f[which] != NULL || !ev_expect(c, ':')) goto done;
        switch (which) {
        case E_TOPIC: {
            const unsigned char *t;
            Py_ssize_t tn;
            if ((r = ev_string_span(c, &t, &tn, &escaped)) <= 0) goto done;
            if (c->topic != NULL && tn == c->topic_len && memcmp(t, c->topic_at, (size_t)tn) == 0) {
                f[E_TOPIC] = Py_NewRef(c->topic);
            } else {
                if ((r = ev_str(t, tn, escaped, &f[E_TOPIC])) <= 0) goto done;
                Py_XSETREF(c->topic, Py_NewRef(f[E_TOPIC]));
                c->topic_at = t, c->topic_len = tn;
            }
            break;
        }
        case E_PARTITION:
        case E_OFFSET:
            if ((r = ev_int_object(c, &f[which])) <= 0) goto done;
            break;
        case E_TIMESTAMP: {
            long long ms;
            if ((r = ev_int(c, &ms)) <= 0) goto done;
            r = 0;
            if (ms < -1) goto done; /* Python's None too, but Lambda's "no timestamp" is -1: anything else is odd */
            if ((f[E_TIMESTAMP] = ms == -1 ? Py_NewRef(Py_None) : PyLong_FromLongLong(ms)) == NULL) goto error;
            break;
        }
        case E_TS_TYPE: {
            if ((r = ev_string_span(c, &s, &n, &escaped)) <= 0) goto done;
            r = 0;
            int t = escaped                             ? -1
                    : EV_IS(s, n, "CREATE_TIME")        ? 0
                    : EV_IS(s, n, "LOG_APPEND_TIME")    ? 1
                    : EV_IS(s, n, "NO_TIMESTAMP_TYPE")  ? 2
                                                        : -1;
            if (t < 0 || c->ts_names[t] == NULL) goto done;
            f[E_TS_TYPE] = Py_NewRef(c->ts_names[t]);
            break;
        }
        case E_KEY:
        case E_VALUE:
            ev_ws(c);
            if (c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0) { /* a tombstone's value, a record without key */
                c->p += 4;
                f[which] = Py_NewRef(Py_None);
            } else if ((r = ev_base64(c, &f[which])) <= 0)
                goto done;
            break;
        default: /* E_HEADERS */
            if ((r = ev_headers(c, &f[E_HEADERS])) <= 0) goto done;
        }
        r = 0;
        ev_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (!ev_expect(c, '}')) goto done;
        break;
    }
    r = 0;
    if (!f[E_TOPIC] || !f[E_PARTITION] || !f[E_OFFSET] || !f[E_TIMESTAMP] || !f[E_TS_TYPE] || !f[E_HEADERS])
        goto done; /* Python reports a missing field (or reads it as absent, which DecodedKafkaEvent would add) */
    PyObject *raw = S.raw_type->tp_alloc(S.raw_type, 0);
    if (raw == NULL) goto error;
    static const int slot_of[E_COUNT] = {R_TOPIC, R_PARTITION, R_OFFSET, R_TIMESTAMP, R_TS_TYPE, R_KEY, R_VALUE,
                                         R_HEADERS};
    for (int e = 0; e < E_COUNT; e++) {
        SLOT(raw, S.raw_off[slot_of[e]]) = f[e] ? f[e] : Py_NewRef(Py_None); /* the reference moves to the record */
        f[e] = NULL;
    }
    *out = raw;
    r = 1;
    goto done;
error:
    r = -1;
done:
    for (int e = 0; e < E_COUNT; e++) Py_XDECREF(f[e]);
    return r;
}

/* A partition's array of records as a new list. */
static int ev_records(EventCursor *c, PyObject **out) {
    if (!ev_expect(c, '[')) return 0;
    PyObject *list = PyList_New(0), *raw = NULL;
    if (list == NULL) return -1;
    int r = 1;
    ev_ws(c);
    if (c->p < c->end && *c->p == ']')
        c->p++;
    else
        for (;;) {
            if ((r = ev_record(c, &raw)) <= 0) break;
            if (PyList_Append(list, raw) < 0) r = -1;
            Py_DECREF(raw);
            if (r < 0) break;
            ev_ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                continue;
            }
            r = ev_expect(c, ']');
            break;
        }
    if (r == 1) *out = list;
    else Py_DECREF(list);
    return r;
}

/* An object of string keys, each value read by `item` into the dict `into` (a duplicate key: 0, where orjson
 * would keep the last). */
typedef int (*EventItem)(EventCursor *c, PyObject *into, PyObject *key, void *ctx);
static int ev_object(EventCursor *c, PyObject *into, EventItem item, void *ctx) {
    if (!ev_expect(c, '{')) return 0;
    ev_ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        return 1;
    }
    for (;;) {
        PyObject *key;
        int r = ev_read_str(c, &key);
        if (r <= 0) return r;
        r = PyDict_Contains(into, key);
        if (r == 0) r = ev_expect(c, ':') ? item(c, into, key, ctx) : 0;
        else if (r > 0) r = 0;
        Py_DECREF(key);
        if (r <= 0) return r;
        ev_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        return ev_expect(c, '}');
    }
}

static int ev_partition_item(EventCursor *c, PyObject *into, PyObject *key, void *ctx) {
    PyObject *raws;
    EV_SURE(ev_records(c, &raws));
    int r = PyDict_SetItem(into, key, raws);
    Py_DECREF(raws);
    return r < 0 ? -1 : 1;
}

/* The event's fields: "records" into head->decoded, each other one a string into `into`. */
typedef struct {
    PyObject *decoded;
    int seen_records;
} EventHead;

static int ev_head_item(EventCursor *c, PyObject *into, PyObject *key, void *ctx) {
    EventHead *head = ctx;
    PyObject *value;
    if (PyUnicode_CompareWithASCIIString(key, "records") == 0) {
        if (head->seen_records) return 0;
        head->seen_records = 1;
        return ev_object(c, head->decoded, ev_partition_item, NULL);
    }
    EV_SURE(ev_read_str(c, &value));
    int r = PyDict_SetItem(into, key, value);
    Py_DECREF(value);
    return r < 0 ? -1 : 1;
}

static PyObject *parse_kafka_event(PyObject *self, PyObject *data) {
    if (S.raw_type == NULL) return PyErr_Format(PyExc_RuntimeError, "bind() first");
    if (!PyBytes_CheckExact(data)) Py_RETURN_NONE;
    EventCursor c = {(const unsigned char *)PyBytes_AS_STRING(data),
                     (const unsigned char *)PyBytes_AS_STRING(data) + PyBytes_GET_SIZE(data), {NULL}, NULL, 0, NULL};
    static const char *lambda_names[3] = {"CREATE_TIME", "LOG_APPEND_TIME", "NO_TIMESTAMP_TYPE"};
    for (int t = 0; t < 3; t++) {
        c.ts_names[t] = PyDict_GetItemString(S.ts_types, lambda_names[t]);
        if (c.ts_names[t] != NULL && !PyUnicode_CheckExact(c.ts_names[t])) c.ts_names[t] = NULL;
    }
    EventHead head = {PyDict_New(), 0};
    PyObject *fields = PyDict_New(), *result = NULL;
    if (head.decoded == NULL || fields == NULL) goto done;
    int r = ev_object(&c, fields, ev_head_item, &head);
    if (r < 0) goto done;
    ev_ws(&c);
    if (r == 0 || !head.seen_records || c.p != c.end) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    result = PyTuple_Pack(2, fields, head.decoded);
done:
    Py_XDECREF(c.topic);
    Py_XDECREF(head.decoded);
    Py_XDECREF(fields);
    return result;
}

/* ==== end of i17e's section ====================================================================================== */

static PyMethodDef methods[] = {
    {"bind", bind, METH_VARARGS,
     "bind(raw_type, sink_type, ts_types, no_ts_type): the record classes to build and Lambda's timestamp types"},
    {"raws_from_event", raws_from_event, METH_VARARGS,
     "raws_from_event(records, fallback) -> [RawRecord]: a partition's event records; fallback(record) builds "
     "one the fast path does not cover"},
    {"sink_records", sink_records, METH_VARARGS,
     "sink_records(raws, key_reader, value_reader, convert_headers, empty_headers) -> [SinkRecord]; a reader is "
     "(fast, exact): exact(data) for JSON text holding -0 or 19 digits in a row when exact is not None"},
    {"one_partition_in_order", one_partition_in_order, METH_O,
     "one_partition_in_order(raws) -> bool: every RawRecord of the list has the first's topic and partition, and "
     "the offsets never go down"},
    {"map_values", map_values, METH_VARARGS,
     "map_values(records, steps, start) -> stop: each record's dict value through the map steps, from start until "
     "a record the steps cannot take (see the source)"},
    {"json_lines_into", json_lines_into, METH_VARARGS, "json_lines_into(records, start, buffer) -> (stop, used, slow)"},
    {"encode_record", (PyCFunction)(void (*)(void))encode_record, METH_FASTCALL,
     "encode_record(raw, topic_json, ts_type_json, no_ts_type_json, fallback) -> bytes: the event record's JSON"},
    {"last_offsets", last_offsets, METH_O,
     "last_offsets(raws) -> {(topic, partition): offset + 1} of each partition's last record"},
    {"raws_from_messages", raws_from_messages, METH_VARARGS, "raws_from_messages(messages, ts_types, no_ts_type, fallback) -> [RawRecord] (i17p)"},
    {"encode_records", (PyCFunction)(void (*)(void))encode_records, METH_FASTCALL, "encode_records(raws, topic_json, ts_type_json, no_ts_type_json, fallback) -> [bytes] (i17p)"},
    {"parse_kafka_event", parse_kafka_event, METH_O,
     "parse_kafka_event(data) -> (head, {partition key: [RawRecord]}) or None: a Lambda Kafka event's JSON bytes "
     "(i17e)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, .m_name = "_records", .m_size = -1, .m_methods = methods};

PyMODINIT_FUNC PyInit__records(void) {
    b64_init();
    b64_pairs_init();
    jl_init();
    if ((S.empty_tuple = PyTuple_New(0)) == NULL) return NULL;
#define KEY(var, text) \
    if ((S.var = PyUnicode_InternFromString(text)) == NULL) return NULL;
    KEY(k_topic, "topic")
    KEY(k_partition, "partition")
    KEY(k_offset, "offset")
    KEY(k_timestamp, "timestamp")
    KEY(k_ts_type, "timestampType")
    KEY(k_key, "key")
    KEY(k_value, "value")
    KEY(k_headers, "headers")
#undef KEY
    if (PyType_Ready(&KeyRenamerType) < 0 || PyType_Ready(&MillisFormatType) < 0 ||
        PyType_Ready(&IntFieldStepType) < 0)
        return NULL;
    if (PyType_Ready(&StaticFieldType) < 0) return NULL; /* i17f */
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    PyObject *raw_names = PyTuple_New(R_COUNT), *sink_names = PyTuple_New(S_COUNT);
    for (int i = 0; raw_names && i < R_COUNT; i++) PyTuple_SET_ITEM(raw_names, i, PyUnicode_FromString(raw_fields[i]));
    for (int i = 0; sink_names && i < S_COUNT; i++)
        PyTuple_SET_ITEM(sink_names, i, PyUnicode_FromString(sink_fields[i]));
    if (raw_names == NULL || sink_names == NULL || PyErr_Occurred() ||
        PyModule_AddObject(m, "RAW_FIELDS", raw_names) < 0 || PyModule_AddObject(m, "SINK_FIELDS", sink_names) < 0) {
        Py_XDECREF(raw_names);
        Py_XDECREF(sink_names);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddObjectRef(m, "KeyRenamer", (PyObject *)&KeyRenamerType) < 0 ||
        PyModule_AddObjectRef(m, "MillisFormat", (PyObject *)&MillisFormatType) < 0 ||
        PyModule_AddObjectRef(m, "IntFieldStep", (PyObject *)&IntFieldStepType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddObjectRef(m, "StaticField", (PyObject *)&StaticFieldType) < 0) { /* i17f */
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
