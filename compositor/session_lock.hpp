// ext-session-lock-v1 with the guarantees a screen lock needs: while locked no
// other client's content is shown on any output and no input reaches any other
// client; an output without a lock surface shows a solid colour; a locker that
// dies or disconnects without unlocking leaves the session locked (a new
// locker may take over), and only the locker's unlock_and_destroy unlocks.
#pragma once

#include <list>
#include <memory>

#include "listener.hpp"
#include "wlr.hpp"

namespace tranche {

class Server;

class SessionLock {
 public:
  explicit SessionLock(Server& server);
  ~SessionLock();

  enum class State { Unlocked, Locked, Abandoned };  // Abandoned: locked, and the locker is gone
  State state() const { return state_; }
  bool locked() const { return state_ != State::Unlocked; }
  // Whether `surface` may get input now: any when unlocked, else only the current lock's surfaces.
  bool allows(wlr_surface* surface) const;
  // The cover follows the outputs: call after outputs were added, removed or moved.
  void arrange();
  // Counters and state for tranchectl.
  const char* state_name() const;
  wl_global* global() const { return manager_->global; }
  unsigned locks() const { return locks_; }
  unsigned refused() const { return refused_; }
  unsigned abandoned() const { return abandoned_; }

 private:
  struct Surface;
  void handle_new_lock(wlr_session_lock_v1* lock);
  void handle_unlock();
  void handle_lock_destroyed();
  void handle_new_surface(wlr_session_lock_surface_v1* surface);
  void focus_a_lock_surface();
  void set_cover_colour();

  Server& server_;
  wlr_session_lock_manager_v1* manager_;
  wlr_scene_tree* tree_;   // above everything else in the scene, enabled while locked
  wlr_scene_tree* cover_;  // one solid rectangle per output, below the lock surfaces
  State state_ = State::Unlocked;
  wlr_session_lock_v1* lock_ = nullptr;  // the current locker's lock, if it is alive
  std::list<std::unique_ptr<Surface>> surfaces_;
  unsigned locks_ = 0, refused_ = 0, abandoned_ = 0;

  Listener new_lock_, unlock_, lock_destroy_, new_surface_;
};

}  // namespace tranche
