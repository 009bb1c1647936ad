/*
 * Starts one OpenSearch node inside this JVM, without the distribution's scripts, plugin folders or
 * security manager: the Node class driven directly, with the netty4 transport and the common analysis
 * module as classpath plugins. Used by connectless_local.embedded_opensearch for tests and demos.
 *
 * Usage: java -cp "classes:libs/*" OpenSearchLauncher HOME HTTP_PORT
 * HOME gets data/ and logs/; the node listens for HTTP on 127.0.0.1:HTTP_PORT, single-node discovery,
 * no security plugin. It prints "OPENSEARCH_STARTED <port>" once started and stops on SIGTERM.
 */

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

public final class OpenSearchLauncher {
  private OpenSearchLauncher() {}

  /** Node's plugin-list constructor is protected: the test framework's MockNode uses it the same way. */
  static final class EmbeddedNode extends Node {
    EmbeddedNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
      super(environment, plugins, true);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: OpenSearchLauncher HOME HTTP_PORT");
      System.exit(2);
    }
    Path home = Paths.get(args[0]).toAbsolutePath();
    int port = Integer.parseInt(args[1]);
    Settings settings = Settings.builder()
        .put("path.home", home.toString())
        .put("path.data", home.resolve("data").toString())
        .put("path.logs", home.resolve("logs").toString())
        .put("cluster.name", "connectless-embedded")
        .put("node.name", "embedded-1")
        .put("discovery.type", "single-node")
        .put("network.host", "127.0.0.1")
        .put("http.port", port)
        .put("transport.port", "0")
        .put("http.type", "netty4")
        .put("transport.type", "netty4")
        // A shared CI disk may be nearly full; an embedded node must not go read-only over it.
        .put("cluster.routing.allocation.disk.threshold_enabled", false)
        .put("action.auto_create_index", true)
        .build();
    List<Class<? extends Plugin>> plugins = List.of(Netty4Plugin.class, CommonAnalysisPlugin.class);
    Environment environment = InternalSettingsPreparer.prepareEnvironment(
        settings, Collections.emptyMap(), home.resolve("config"), () -> "embedded-1");
    Node node = new EmbeddedNode(environment, plugins);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.close();
      } catch (Exception e) {
        // exiting anyway
      }
    }));
    node.start();
    System.out.println("OPENSEARCH_STARTED " + port);
    System.out.flush();
    Thread.currentThread().join();
  }
}
