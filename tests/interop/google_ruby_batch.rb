# Licensed under the Apache License, Version 2.0 (see LICENSE).
# Copyright 2026 the mod_batch authors.
#
# Interop check: a multipart batch (CONTRACT §8) sent by Debian's
# ruby-google-api-client (gem google-api-client 0.50.x), unmodified.
#
#   ruby google_ruby_batch.rb PORT [capture]
#
# The 0.50 gem no longer has the old Google::APIClient::BatchRequest (that
# was 0.8): a generated service (Google::Apis::DriveV3::DriveService, ...) is
# a Google::Apis::Core::BaseService, and `service.batch { ... }` queues the
# service's ApiCommands into a Google::Apis::Core::BatchCommand posted to
# root_url + batch_path. A generated service only adds methods that build
# commands with make_simple_command and hand them to
# execute_or_queue_command, so this script does exactly that on a plain
# BaseService whose root_url is the test server: no discovery document, no
# network, the client's batch code path as every generated service uses it.
# What the gem sends: an unquoted hex boundary, CRLF lines, per part
# `Content-Id: <uuid+N>` and a part-level Content-Length, `Host: 127.0.0.1`
# (no port); it reads answers by /<response-.*\+(\d+)>/, else by position.
#
# Prints one JSON summary on stdout; exit 0 = every callback got what it
# should, 1 = a mismatch (listed under "failures"), 2 = an exception.
# With "capture" it prints the batch body the gem would send and exits.
require 'json'
require 'google/apis/core/base_service'
require 'google/apis/core/batch'
require 'google/apis/errors'

port = Integer(ARGV[0] || '')
root = "http://127.0.0.1:#{port}/"

service = Google::Apis::Core::BaseService.new(root, '')
service.batch_path = 'batch'

def command(service, method, path, body: nil)
  cmd = service.send(:make_simple_command, method, path, {})
  unless body.nil?
    cmd.body = body
    cmd.header['Content-Type'] = 'application/json'
  end
  cmd
end

calls = [
  [:get, 'products/1', nil],
  [:post, 'products', JSON.generate('title' => 'From Ruby')],
  [:get, 'static/nope.json', nil],
  [:get, 'cgi/echo.py?from=ruby', nil],
  [:post, 'cgi/echo.py', JSON.generate('text' => "r\u00fcby body \u2713")]
]

if ARGV[1] == 'capture'
  batch = Google::Apis::Core::BatchCommand.new(:post, Addressable::URI.parse(root + 'batch'))
  calls.each { |m, p, b| batch.add(command(service, m, p, body: b)) }
  batch.send(:prepare!)
  STDOUT.write("Content-Type: #{batch.header['Content-Type']}\n\n")
  STDOUT.write(batch.body.read)
  exit 0
end

results = []
failures = []
begin
  service.batch do |s|
    calls.each_with_index do |(m, p, b), i|
      cmd = command(s, m, p, body: b)
      s.send(:execute_or_queue_command, cmd) do |res, err|
        results << { 'index' => i, 'result' => res.is_a?(String) ? res : res.inspect,
                     'error' => err && err.class.name,
                     'status' => err.respond_to?(:status_code) ? err.status_code : nil,
                     'error_body' => err.respond_to?(:body) ? err.body : nil }
      end
    end
  end
rescue StandardError => e
  puts JSON.generate('ok' => false, 'exception' => "#{e.class}: #{e.message}",
                     'backtrace' => e.backtrace.first(8), 'results' => results)
  exit 2
end

by = results.map { |r| [r['index'], r] }.to_h
check = lambda do |i, what, ok|
  failures << "call #{i} (#{calls[i][0]} #{calls[i][1]}): #{what}: #{by[i].inspect}" unless ok
end
failures << "got #{results.size} callbacks for #{calls.size} calls" if results.size != calls.size
if results.size == calls.size
  p1 = JSON.parse(by[0]['result']) rescue nil
  check.call(0, 'product 1', by[0]['error'].nil? && p1.is_a?(Hash) && p1['id'] == 1)
  created = JSON.parse(by[1]['result']) rescue nil
  check.call(1, 'created product', by[1]['error'].nil? && created.is_a?(Hash) &&
             created['id'] == 11 && created['title'] == 'From Ruby')
  check.call(2, 'a 404 ClientError', by[2]['error'] == 'Google::Apis::ClientError' &&
             by[2]['status'] == 404)
  e3 = JSON.parse(by[3]['result']) rescue nil
  check.call(3, 'echo of GET', by[3]['error'].nil? && e3.is_a?(Hash) &&
             e3['query'] == 'from=ruby' && e3['method'] == 'GET' &&
             e3['item_id'].to_s.end_with?('+3>'))
  e4 = JSON.parse(by[4]['result']) rescue nil
  sent4 = JSON.parse(e4['body']) rescue nil if e4.is_a?(Hash)
  check.call(4, 'echo of POST body', by[4]['error'].nil? && e4.is_a?(Hash) &&
             sent4 == { 'text' => "r\u00fcby body \u2713" } &&
             e4['content_type'] == 'application/json')
end
puts JSON.generate('ok' => failures.empty?, 'gem' => Google::Apis::VERSION,
                   'results' => results, 'failures' => failures)
exit(failures.empty? ? 0 : 1)
