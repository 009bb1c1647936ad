/*
 * The Kafka Connect side of the differential tests: `connectless transform`'s job done by Apache Kafka Connect's own
 * classes (Plugins for the converters, ConnectorConfig for the transformation stages with their predicates and
 * negate, TransformationChain under a RetryWithToleranceOperator), the way a worker task calls them.
 *
 * One JVM serves a whole test session: each line on stdin is a request
 *   {"side": "sink"|"source", "config": {connector config}, "records": [input records of `connectless transform`]}
 * and each answer is one line on stdout
 *   {"exit": 0|1|2, "lines": [output lines of `connectless transform`], "usage": "why exit 2" (only then)}.
 * Everything Kafka Connect itself prints goes to stderr, so stdout carries only answers.
 */

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.header.Headers;
import org.apache.kafka.connect.runtime.ConnectMetrics;
import org.apache.kafka.connect.runtime.ConnectorConfig;
import org.apache.kafka.connect.runtime.SinkConnectorConfig;
import org.apache.kafka.connect.runtime.SourceConnectorConfig;
import org.apache.kafka.connect.runtime.TransformationChain;
import org.apache.kafka.connect.runtime.TransformationStage;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.runtime.errors.ErrorHandlingMetrics;
import org.apache.kafka.connect.runtime.errors.ErrorReporter;
import org.apache.kafka.connect.runtime.errors.ProcessingContext;
import org.apache.kafka.connect.runtime.errors.RetryWithToleranceOperator;
import org.apache.kafka.connect.runtime.errors.Stage;
import org.apache.kafka.connect.runtime.isolation.Plugins;
import org.apache.kafka.connect.runtime.standalone.StandaloneConfig;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.HeaderConverter;
import org.apache.kafka.connect.util.ConnectUtils;
import org.apache.kafka.connect.util.ConnectorTaskId;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

public final class KafkaConnectRunner {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter";

    /** A bad request or a config Kafka Connect rejects: `connectless transform` exits 2 on these. */
    static final class UsageException extends RuntimeException {
        UsageException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The error reporter of `connectless transform`: keeps the last failure, printed in place of the record. */
    static final class Collector<T> implements ErrorReporter<T> {
        Stage stage;
        Class<?> executing;
        Throwable error;

        @Override
        public Future<org.apache.kafka.clients.producer.RecordMetadata> report(ProcessingContext<T> context) {
            stage = context.stage();
            executing = context.executingClass();
            error = context.error();
            return CompletableFuture.completedFuture(null);
        }

        void reset() {
            stage = null;
            executing = null;
            error = null;
        }
    }

    private final Plugins plugins;
    private final WorkerConfig worker;
    private final ConnectMetrics metrics;

    KafkaConnectRunner() {
        Map<String, String> props = new HashMap<>();
        props.put("bootstrap.servers", "127.0.0.1:9");  // never contacted
        props.put(WorkerConfig.KEY_CONVERTER_CLASS_CONFIG, JSON_CONVERTER);
        props.put(WorkerConfig.VALUE_CONVERTER_CLASS_CONFIG, JSON_CONVERTER);
        props.put("offset.storage.file.filename", "/dev/null");
        props.put("plugin.discovery", "service_load");
        plugins = new Plugins(props);
        worker = new StandaloneConfig(props);
        metrics = new ConnectMetrics("differential", worker, Time.SYSTEM, "differential");
    }

    public static void main(String[] args) throws Exception {
        PrintStream answers = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        KafkaConnectRunner runner = new KafkaConnectRunner();
        // The Java version decides how floats print: Float/Double.toString are shortest only from JDK 19.
        answers.println("{\"ready\":true,\"java\":\"" + System.getProperty("java.specification.version") + "\"}");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            ObjectNode answer = NODES.objectNode();
            ArrayNode lines = NODES.arrayNode();
            try {
                answer.put("exit", runner.serve(JSON.readTree(line), lines));
            } catch (UsageException e) {
                answer.put("exit", 2);  // the lines printed before the bad input record stay, as in the CLI
                answer.put("usage", describe(e.getCause() == null ? e : e.getCause()));
            } catch (Throwable e) {
                answer.put("exit", 3);
                answer.put("crash", describe(e));
            }
            answer.set("lines", lines);
            answers.println(JSON.writeValueAsString(answer));
        }
    }

    private static String describe(Throwable e) {
        return e.getClass().getName() + ": " + e.getMessage();
    }

    int serve(JsonNode request, ArrayNode lines) {
        Map<String, String> config = new HashMap<>();
        request.get("config").fields().forEachRemaining(e -> config.put(e.getKey(), e.getValue().asText()));
        boolean source = "source".equals(request.path("side").asText("sink"));
        return source ? runSource(config, request.get("records"), lines) : runSink(config, request.get("records"), lines);
    }

    // ------------------------------------------------------------------ parts a worker builds for a task

    private final class Parts<T, R extends ConnectRecord<R>> implements AutoCloseable {
        final Converter keyConverter;
        final Converter valueConverter;
        final HeaderConverter headerConverter;
        final RetryWithToleranceOperator<T> operator;
        final TransformationChain<T, R> chain;
        final Collector<T> collector = new Collector<>();

        Parts(ConnectorConfig taskConfig, Map<String, String> props) {
            try {
                // Worker.startTask: the connector's converters, else the worker's.
                ConnectorConfig connConfig = new ConnectorConfig(plugins, props);
                Converter key = plugins.newConverter(connConfig, ConnectorConfig.KEY_CONVERTER_CLASS_CONFIG, ConnectorConfig.KEY_CONVERTER_VERSION_CONFIG);
                Converter value = plugins.newConverter(connConfig, ConnectorConfig.VALUE_CONVERTER_CLASS_CONFIG, ConnectorConfig.VALUE_CONVERTER_VERSION_CONFIG);
                HeaderConverter header = plugins.newHeaderConverter(connConfig, ConnectorConfig.HEADER_CONVERTER_CLASS_CONFIG, ConnectorConfig.HEADER_CONVERTER_VERSION_CONFIG);
                keyConverter = key != null ? key : plugins.newConverter(worker, WorkerConfig.KEY_CONVERTER_CLASS_CONFIG, WorkerConfig.KEY_CONVERTER_VERSION);
                valueConverter = value != null ? value : plugins.newConverter(worker, WorkerConfig.VALUE_CONVERTER_CLASS_CONFIG, WorkerConfig.VALUE_CONVERTER_VERSION);
                headerConverter = header != null ? header : plugins.newHeaderConverter(worker, WorkerConfig.HEADER_CONVERTER_CLASS_CONFIG, WorkerConfig.HEADER_CONVERTER_VERSION);
                // Worker.buildWorkerTask: the operator, its reporters, and the chain of the connector's stages.
                ConnectorTaskId id = new ConnectorTaskId(props.getOrDefault("name", "differential"), 0);
                operator = new RetryWithToleranceOperator<>(taskConfig.errorRetryTimeout(), taskConfig.errorMaxDelayInMillis(),
                        taskConfig.errorToleranceType(), Time.SYSTEM, new ErrorHandlingMetrics(id, metrics));
                operator.reporters(List.of(collector));
                List<TransformationStage<R>> stages = taskConfig.transformationStages(plugins, id, metrics);
                chain = new TransformationChain<>(stages, operator);
            } catch (RuntimeException e) {
                throw new UsageException(e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            chain.close();
            operator.close();
        }
    }

    private static ConnectorConfig checked(java.util.function.Supplier<ConnectorConfig> make) {
        try {
            return make.get();
        } catch (RuntimeException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ sink side (WorkerSinkTask)

    int runSink(Map<String, String> props, JsonNode records, ArrayNode out) {
        SinkConnectorConfig config = (SinkConnectorConfig) checked(() -> new SinkConnectorConfig(plugins, props));
        String defaultTopic = defaultTopic(props);
        try (Parts<ConsumerRecord<byte[], byte[]>, SinkRecord> parts = new Parts<>(config, props)) {
            int index = 0;
            for (JsonNode doc : records) {
                ConsumerRecord<byte[], byte[]> msg = consumerRecord(doc, index, defaultTopic);
                ProcessingContext<ConsumerRecord<byte[], byte[]>> context = new ProcessingContext<>(msg);
                parts.collector.reset();
                SinkRecord result;
                try {
                    result = convertAndTransform(parts, context, msg);
                } catch (org.apache.kafka.connect.errors.ConnectException e) {
                    out.add(errorLine(parts.collector, index));
                    return 1;
                }
                if (result != null) {
                    out.add(sinkLine(parts, result));
                } else if (parts.collector.error != null) {
                    out.add(errorLine(parts.collector, index));
                }
                index++;
            }
        }
        return 0;
    }

    /** WorkerSinkTask.convertAndTransformRecord, minus metrics and topic tracking. */
    private static SinkRecord convertAndTransform(Parts<ConsumerRecord<byte[], byte[]>, SinkRecord> parts,
                                                  ProcessingContext<ConsumerRecord<byte[], byte[]>> context,
                                                  ConsumerRecord<byte[], byte[]> msg) {
        RetryWithToleranceOperator<ConsumerRecord<byte[], byte[]>> operator = parts.operator;
        SchemaAndValue key = operator.execute(context, () -> parts.keyConverter.toConnectData(msg.topic(), msg.headers(), msg.key()),
                Stage.KEY_CONVERTER, parts.keyConverter.getClass());
        SchemaAndValue value = operator.execute(context, () -> parts.valueConverter.toConnectData(msg.topic(), msg.headers(), msg.value()),
                Stage.VALUE_CONVERTER, parts.valueConverter.getClass());
        Headers headers = operator.execute(context, () -> {
            Headers result = new ConnectHeaders();
            for (org.apache.kafka.common.header.Header h : msg.headers()) {
                result.add(h.key(), parts.headerConverter.toConnectHeader(msg.topic(), h.key(), h.value()));
            }
            return result;
        }, Stage.HEADER_CONVERTER, parts.headerConverter.getClass());
        if (context.failed()) return null;
        Long timestamp = ConnectUtils.checkAndConvertTimestamp(msg.timestamp());
        SinkRecord orig = new SinkRecord(msg.topic(), msg.partition(), key.schema(), key.value(), value.schema(), value.value(),
                msg.offset(), timestamp, msg.timestampType(), headers);
        return parts.chain.apply(context, orig);
    }

    private ObjectNode sinkLine(Parts<?, ?> parts, SinkRecord record) {
        String topic = record.topic();
        ObjectNode line = NODES.objectNode();
        line.put("topic", topic);
        line.put("partition", record.kafkaPartition());
        line.put("offset", record.kafkaOffset());
        putLong(line, "timestamp", record.timestamp());
        line.set("key", shown(() -> parts.keyConverter.fromConnectData(topic, record.keySchema(), record.key())));
        line.set("value", shown(() -> parts.valueConverter.fromConnectData(topic, record.valueSchema(), record.value())));
        line.set("headers", headerLines(parts.headerConverter, topic, record.headers()));
        return line;
    }

    // ------------------------------------------------------------------ source side (AbstractWorkerSourceTask)

    int runSource(Map<String, String> props, JsonNode records, ArrayNode out) {
        SourceConnectorConfig config = (SourceConnectorConfig) checked(() -> new SourceConnectorConfig(plugins, props, false));
        String defaultTopic = defaultTopic(props);
        try (Parts<SourceRecord, SourceRecord> parts = new Parts<>(config, props)) {
            int index = 0;
            for (JsonNode doc : records) {
                SourceRecord polled = sourceRecord(parts, doc, index, defaultTopic);
                ProcessingContext<SourceRecord> context = new ProcessingContext<>(polled);
                parts.collector.reset();
                ObjectNode result;
                try {
                    SourceRecord transformed = parts.chain.apply(context, polled);
                    result = transformed == null ? null : convertTransformed(parts, context, transformed);
                } catch (org.apache.kafka.connect.errors.ConnectException e) {
                    out.add(errorLine(parts.collector, index));
                    return 1;
                }
                if (result != null) {
                    out.add(result);
                } else if (parts.collector.error != null) {
                    out.add(errorLine(parts.collector, index));
                }
                index++;
            }
        }
        return 0;
    }

    /** The connect data a source task would emit, read from the input bytes with the connector's converters. */
    private static SourceRecord sourceRecord(Parts<SourceRecord, SourceRecord> parts, JsonNode doc, int index, String defaultTopic) {
        ConsumerRecord<byte[], byte[]> raw = consumerRecord(doc, index, defaultTopic);
        try {
            SchemaAndValue key = parts.keyConverter.toConnectData(raw.topic(), raw.key());
            SchemaAndValue value = parts.valueConverter.toConnectData(raw.topic(), raw.value());
            ConnectHeaders headers = new ConnectHeaders();
            for (org.apache.kafka.common.header.Header h : raw.headers()) {
                headers.add(h.key(), parts.headerConverter.toConnectHeader(raw.topic(), h.key(), h.value()));
            }
            Integer partition = doc.hasNonNull("partition") ? doc.get("partition").intValue() : null;
            Long timestamp = doc.hasNonNull("timestamp") ? doc.get("timestamp").longValue() : null;
            return new SourceRecord(null, null, raw.topic(), partition, key.schema(), key.value(), value.schema(), value.value(),
                    timestamp, headers);
        } catch (RuntimeException e) {
            throw new UsageException("input record " + index + ": not data the connector's converters can read: " + e.getMessage(), e);
        }
    }

    /** AbstractWorkerSourceTask.convertTransformedRecord, shown as `connectless transform` prints it. */
    private static ObjectNode convertTransformed(Parts<SourceRecord, SourceRecord> parts, ProcessingContext<SourceRecord> context,
                                                 SourceRecord record) {
        RetryWithToleranceOperator<SourceRecord> operator = parts.operator;
        RecordHeaders headers = operator.execute(context, () -> {
            RecordHeaders result = new RecordHeaders();
            for (Header h : record.headers()) {
                result.add(h.key(), parts.headerConverter.fromConnectHeader(record.topic(), h.key(), h.schema(), h.value()));
            }
            return result;
        }, Stage.HEADER_CONVERTER, parts.headerConverter.getClass());
        byte[] key = operator.execute(context, () -> parts.keyConverter.fromConnectData(record.topic(), headers, record.keySchema(), record.key()),
                Stage.KEY_CONVERTER, parts.keyConverter.getClass());
        byte[] value = operator.execute(context, () -> parts.valueConverter.fromConnectData(record.topic(), headers, record.valueSchema(), record.value()),
                Stage.VALUE_CONVERTER, parts.valueConverter.getClass());
        if (context.failed()) return null;
        ObjectNode line = NODES.objectNode();
        line.put("topic", record.topic());
        if (record.kafkaPartition() == null || record.kafkaPartition() < 0) line.putNull("partition");
        else line.put("partition", record.kafkaPartition());
        line.putNull("offset");
        putLong(line, "timestamp", ConnectUtils.checkAndConvertTimestamp(record.timestamp()));
        line.set("key", show(key));
        line.set("value", show(value));
        ArrayNode shown = NODES.arrayNode();
        for (org.apache.kafka.common.header.Header h : headers) {
            ArrayNode pair = NODES.arrayNode();
            pair.add(h.key());
            pair.add(show(h.value()));
            shown.add(pair);
        }
        line.set("headers", shown);
        return line;
    }

    // ------------------------------------------------------------------ `connectless transform`'s formats

    private static String defaultTopic(Map<String, String> props) {
        for (String t : props.getOrDefault("topics", "").split(",")) {
            if (!t.trim().isEmpty()) return t.trim();
        }
        String topic = props.get("topic");
        return topic == null || topic.isEmpty() ? null : topic;
    }

    private static ConsumerRecord<byte[], byte[]> consumerRecord(JsonNode doc, int index, String defaultTopic) {
        String topic = doc.hasNonNull("topic") ? doc.get("topic").asText() : defaultTopic;
        if (topic == null) throw new UsageException("input record " + index + ": no topic", null);
        int partition = doc.hasNonNull("partition") ? doc.get("partition").intValue() : 0;
        long offset = doc.hasNonNull("offset") ? doc.get("offset").longValue() : index;
        boolean stamped = doc.hasNonNull("timestamp");
        long timestamp = stamped ? doc.get("timestamp").longValue() : -1L;
        RecordHeaders headers = new RecordHeaders();
        JsonNode list = doc.get("headers");
        if (list != null && list.isArray()) {
            for (JsonNode pair : list) headers.add(pair.get(0).asText(), bytes(pair.get(1)));
        }
        byte[] key = bytes(doc.get("key"));
        byte[] value = bytes(doc.get("value"));
        return new ConsumerRecord<>(topic, partition, offset, timestamp,
                stamped ? TimestampType.CREATE_TIME : TimestampType.NO_TIMESTAMP_TYPE,
                key == null ? -1 : key.length, value == null ? -1 : value.length, key, value, headers, Optional.empty());
    }

    private static byte[] bytes(JsonNode node) {
        if (node == null || node.isNull()) return null;
        if (node.isTextual()) return node.asText().getBytes(StandardCharsets.UTF_8);
        return Base64.getDecoder().decode(node.get("base64").asText());
    }

    private static JsonNode show(byte[] data) {
        if (data == null) return NODES.nullNode();
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data)).toString();
            return NODES.textNode(text);
        } catch (CharacterCodingException e) {
            ObjectNode b64 = NODES.objectNode();
            b64.put("base64", Base64.getEncoder().encodeToString(data));
            return b64;
        }
    }

    /** A key, value or header the converter cannot serialise shows as {"unserializable": "<exception class>"}. */
    private interface Bytes {
        byte[] get();
    }

    private static JsonNode shown(Bytes convert) {
        try {
            return show(convert.get());
        } catch (RuntimeException e) {
            ObjectNode failed = NODES.objectNode();
            failed.put("unserializable", e.getClass().getName());
            return failed;
        }
    }

    private static ArrayNode headerLines(HeaderConverter converter, String topic, Headers headers) {
        ArrayNode shown = NODES.arrayNode();
        for (Header h : headers) {
            ArrayNode pair = NODES.arrayNode();
            pair.add(h.key());
            pair.add(shown(() -> converter.fromConnectHeader(topic, h.key(), h.schema(), h.value())));
            shown.add(pair);
        }
        return shown;
    }

    private static void putLong(ObjectNode line, String name, Long value) {
        if (value == null) line.putNull(name);
        else line.put(name, value);
    }

    private static ObjectNode errorLine(Collector<?> collector, int index) {
        ObjectNode error = NODES.objectNode();
        error.put("stage", collector.stage == null ? null : collector.stage.name());
        // the __connect.errors.class.name DLQ header: DeadLetterQueueReporter writes executingClass().getName()
        error.put("class", collector.executing == null ? null : collector.executing.getName());
        Throwable e = collector.error;
        error.put("exception", e == null ? null : e.getClass().getName());
        error.put("message", e == null ? null : e.getMessage());
        ObjectNode line = NODES.objectNode();
        line.set("error", error);
        line.put("input_offset", index);
        return line;
    }
}
