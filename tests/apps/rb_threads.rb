# Ruby threads through blocking calls: a thread-per-connection TCP echo
# server with CLIENTS client threads, a Queue between producers and
# consumers, a Mutex + ConditionVariable handshake, pipes between threads,
# and a file written and read back. Prints only lines that are the same on
# every run (digests of what each thread received), then "done".
# usage: ruby rb_threads.rb [CLIENTS] [DIR]
require 'socket'
require 'digest'

clients = (ARGV[0] || 100).to_i
dir = ARGV[1] || Dir.pwd

# -- thread-per-connection echo server
srv = TCPServer.new('127.0.0.1', 0)
port = srv.addr[1]
acceptor = Thread.new do
  loop do
    c = begin
      srv.accept
    rescue IOError
      break # closed: the test is over
    end
    Thread.new(c) do |s|
      while (d = (s.readpartial(4096) rescue nil))
        s.write(d)
      end
      s.close
    end
  end
end
digests = Array.new(clients)
ts = (0...clients).map do |i|
  Thread.new do
    s = TCPSocket.new('127.0.0.1', port)
    h = Digest::SHA256.new
    10.times do |k|
      m = "#{i}-#{k};" * (1 + (i * 31 + k) % 200)
      s.write(m)
      got = +''
      got << s.readpartial(65536) while got.size < m.size
      raise "client #{i}: echo differs" unless got == m
      h << got
    end
    s.close
    digests[i] = h.hexdigest[0, 16]
  end
end
ts.each(&:join)
srv.close
acceptor.join
digests.each_with_index { |d, i| puts "echo #{i} #{d}" }

# -- Queue: 4 producers, 4 consumers, a nil per consumer to stop
q = Queue.new
sums = Array.new(4, 0)
consumers = (0...4).map { |c| Thread.new { while (v = q.pop); sums[c] += v; end } }
producers = (0...4).map { |p| Thread.new { (1..2500).each { |v| q << v * (p + 1) } } }
producers.each(&:join)
4.times { q << nil }
consumers.each(&:join)
puts "queue total #{sums.sum}"

# -- Mutex + ConditionVariable: strict turn-taking between 8 threads
m = Mutex.new
cv = ConditionVariable.new
turn = 0
order = []
ring = (0...8).map do |t|
  Thread.new do
    25.times do
      m.synchronize do
        cv.wait(m) until turn % 8 == t
        order << t
        turn += 1
        cv.broadcast
      end
    end
  end
end
ring.each(&:join)
puts "ring #{order.size} in order #{order.each_with_index.all? { |t, i| t == i % 8 }}"

# -- pipes: a writer thread, a reader thread per pipe
pipes = (0...16).map do |i|
  r, w = IO.pipe
  wr = Thread.new { 200.times { |k| w.write("p#{i} line #{k}\n") }; w.close }
  rd = Thread.new { r.read.lines.size.tap { r.close } }
  wr.join
  rd.value
end
puts "pipes #{pipes.sum}"

# -- a file written by threads, then read back
path = File.join(dir, "rb_threads.#{Process.pid}.txt")
File.open(path, 'w') do |f|
  fm = Mutex.new
  (0...8).map { |t| Thread.new { 100.times { |k| fm.synchronize { f.write("t#{t} #{k}\n") } } } }.each(&:join)
end
lines = File.readlines(path)
File.delete(path)
puts "file lines #{lines.size} sorted digest #{Digest::SHA256.hexdigest(lines.sort.join)[0, 16]}"
puts 'done'
