import io.apicurio.registry.utils.converter.AvroConverter;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;

/** Apicurio's own Avro converter, Confluent-compatible ids: `write URL TOPIC` prints base64, `read URL TOPIC B64`. */
public class ApicurioConverterCheck {
  public static void main(String[] args) {
    Map<String, Object> config = new HashMap<>();
    config.put("apicurio.registry.url", args[1]);
    config.put("apicurio.registry.auto-register", "true");
    config.put("apicurio.registry.as-confluent", "true");
    config.put("apicurio.registry.use-id", "contentId");
    config.put("apicurio.registry.headers.enabled", "false");
    AvroConverter converter = new AvroConverter();
    converter.configure(config, false);
    if (args[0].equals("write")) {
      Schema schema = SchemaBuilder.struct().name("com.example.Reading")
          .field("id", Schema.INT64_SCHEMA)
          .field("name", Schema.STRING_SCHEMA)
          .field("note", Schema.OPTIONAL_STRING_SCHEMA)
          .field("temp", Schema.FLOAT64_SCHEMA)
          .field("at", Timestamp.SCHEMA)
          .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).build())
          .build();
      Struct value = new Struct(schema).put("id", 42L).put("name", "probe-7").put("temp", 21.5)
          .put("at", new java.util.Date(1764000000123L)).put("tags", List.of("a", "b"));
      System.out.println(Base64.getEncoder().encodeToString(converter.fromConnectData(args[2], schema, value)));
    } else {
      SchemaAndValue read = converter.toConnectData(args[2], Base64.getDecoder().decode(args[3]));
      System.out.println(read.schema().name() + " " + read.value());
    }
  }
}
